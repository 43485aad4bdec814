"""PDF documents of the Smart Health Responder, built as pure functions of plain data.

``data`` (the dataclasses each document is built from) → ``services`` (the only reads of rows, and the
registry) → ``builders/`` (one module per document; a new document is a new module there), which
take their look from ``styles``, their pages from ``layout``, their tables, cells and QR codes from
``flowables``, their charts from ``charts`` and their fonts from ``fonts``.
"""
