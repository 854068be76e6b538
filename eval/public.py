"""Adapters that turn the public datasets in ../shared/datasets into Kotae's formats."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from retrieval.types import Document


@dataclass(frozen=True)
class RetrievalQuery:
    """A query with the ids of the documents that answer it."""

    id: str
    text: str
    relevant: frozenset[str]


def load_stackfaq(path: Path) -> tuple[list[Document], list[RetrievalQuery]]:
    """Read StackFAQ: each thread (question + answers) is a document, each paraphrase a query."""
    data = json.loads(path.read_text(encoding="utf-8"))
    documents: list[Document] = []
    queries: list[RetrievalQuery] = []
    for n, pair in enumerate(data["root"]["qapair"], start=1):
        doc_id = f"stackfaq-{n:03d}"
        answers = pair["answer"] if isinstance(pair["answer"], list) else [pair["answer"]]
        documents.append(Document(
            id=doc_id, title=pair["question"].strip(),
            text="\n\n".join(str(a).strip() for a in answers if str(a).strip()),
            language="en", origin=f"{path}#{n}"))
        paraphrases = pair["rephr"] if isinstance(pair["rephr"], list) else [pair["rephr"]]
        for m, text in enumerate(paraphrases, start=1):
            if text.strip() and text.strip() != "*":  # "*" is the dataset's placeholder
                queries.append(RetrievalQuery(f"{doc_id}-q{m:02d}", text.strip(),
                                              frozenset([doc_id])))
    return documents, queries
