"""PDF documents of the Smart Health Responder, built as pure functions of plain data."""
