"""Uploaded files and transactions. A file reaches storage when its row is saved, inside the
transaction, but storage knows no rollback: a save that rolls back must take its new file
with it, or the file stays on disk with no row pointing at it."""


def drop_stored_upload(fieldfile, keep=""):
    """Delete the file a rolled-back save stored. ``keep``: the name the row had before (that
    file stays, as the row still names it)."""
    # _committed: the upload has reached storage under its final name; before that the name is
    # only the one the browser sent, which may be any other file's.
    if fieldfile and fieldfile._committed and fieldfile.name and fieldfile.name != keep:
        fieldfile.storage.delete(fieldfile.name)
