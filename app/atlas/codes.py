"""The stable error codes of the atlas's refusals (the API lists them with its own)."""

ATLAS_CODES: dict[str, str] = {
    "atlas_no_corpus": "409: the model has no corpus to index yet (POST one)",
    "empty_corpus": "422: an uploaded corpus without documents",
    "unknown_column": "422: a CSV corpus without the named column",
    "too_few_rows": "422: a numeric corpus shorter than one window",
    "too_many_documents": "422: a corpus over the documents limit",
    "too_many_steps": "422: a corpus over the steps limit",
    "no_documents": "422: no document of the corpus is a valid input",
    "unknown_track": "404: no such layer, direction, track or unit in the index",
    "unknown_document": "422: a document id the index does not hold",
    "bad_step_range": "422: a step range outside the document's real steps",
    "span_too_long": "422: a pattern longer than the longest span matched",
    "needs_text": "422: a feature of words for a series model",
    "needs_numbers": "422: a condition for a text model",
    "bad_regex": "422: a regular expression that does not compile",
    "bad_condition": "422: a condition that is not <feature> <op> <number>",
    "one_class": "422: a feature that holds at no step or at every step",
    "pads_not_shared": "422: is_pad on an index whose padding differs per document",
}
