from segmenta.cli import main

main()
