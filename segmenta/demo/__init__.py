"""The demonstration practice and the synthetic practice for benchmarks: the top floor,
which may use every app below it (accounts, patients, treatment, outcomes)."""
