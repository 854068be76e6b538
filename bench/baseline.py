"""The reference pipeline: a stock LangChain RAG built the way the LangChain docs show it.

    splitter  RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    store     langchain_chroma.Chroma.from_documents(...)
    retriever vectorstore.as_retriever(search_kwargs={"k": 4})
    answer    {"context": retriever | format_docs, "question": passthrough}
              | ChatPromptTemplate(RAG prompt) | ChatOpenAI | StrOutputParser

It uses the same embedding model as Kotae (the one KOTAE_EMBEDDER names, wrapped as a LangChain
`Embeddings`), so the comparison is about the pipeline, not the model. Written fairly: the
documentation's defaults, no tuning against the benchmark, and no sabotage. It always answers.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_chroma import Chroma
from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import Embeddings
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnablePassthrough
from langchain_text_splitters import RecursiveCharacterTextSplitter

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from retrieval.embeddings import Embedder  # noqa: E402
from retrieval.tokens import count_tokens  # noqa: E402
from retrieval.types import Document  # noqa: E402

#: The RAG prompt of the LangChain tutorials (hub "rlm/rag-prompt").
RAG_PROMPT = (
    "You are an assistant for question-answering tasks. Use the following pieces of retrieved "
    "context to answer the question. If you don't know the answer, just say that you don't "
    "know. Use three sentences maximum and keep the answer concise.\n"
    "Question: {question} \n"
    "Context: {context} \n"
    "Answer:"
)
CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 4


class MiniLMEmbeddings(Embeddings):
    """Kotae's embedder (the same model and weights) behind LangChain's interface."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed texts for the vector store."""
        vectors: list[list[float]] = self.embedder.embed_documents(texts).tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """Embed one query."""
        vector: list[float] = self.embedder.embed_query(text).tolist()
        return vector


def to_langchain(docs: Sequence[Document]) -> list[LCDocument]:
    """Turn loaded articles into LangChain documents (title as the heading, as a loader would)."""
    out = []
    for doc in docs:
        text = doc.text if doc.title and doc.title in doc.text[:300] else f"{doc.title}\n\n{doc.text}"
        out.append(LCDocument(page_content=text.strip(),
                              metadata={"doc_id": doc.id, "title": doc.title or ""}))
    return out


def format_docs(docs: Sequence[LCDocument]) -> str:
    """Join retrieved chunks the way the tutorial does."""
    return "\n\n".join(d.page_content for d in docs)


@dataclass
class IngestResult:
    """What one (re-)ingest produced."""

    chunks: int
    tokens: int


class BaselineRAG:
    """The stock pipeline; one Chroma collection per ingest, persisted in `folder`."""

    def __init__(self, embedder: Embedder, folder: Path | None = None) -> None:
        self.embeddings = MiniLMEmbeddings(embedder)
        self.folder = folder
        self.splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE,
                                                       chunk_overlap=CHUNK_OVERLAP)
        self.vectorstore: Chroma | None = None

    def ingest(self, docs: Sequence[Document]) -> IngestResult:
        """Split and embed everything into a fresh collection (what a re-run of the docs does)."""
        splits = self.splitter.split_documents(to_langchain(docs))
        self.vectorstore = Chroma.from_documents(
            documents=splits, embedding=self.embeddings,
            collection_name=f"baseline-{uuid.uuid4().hex[:12]}",
            persist_directory=str(self.folder) if self.folder is not None else None)
        return IngestResult(len(splits), sum(count_tokens(s.page_content) for s in splits))

    def retriever(self) -> Any:
        """Return the top-k retriever."""
        assert self.vectorstore is not None, "ingest first"
        return self.vectorstore.as_retriever(search_kwargs={"k": TOP_K})

    def retrieve(self, question: str) -> list[LCDocument]:
        """Return the top-k chunks for a question."""
        docs: list[LCDocument] = self.retriever().invoke(question)
        return docs

    def retrieve_doc_ids(self, question: str, k: int = TOP_K) -> list[str]:
        """Return the distinct document ids of the top-k chunks, best first."""
        assert self.vectorstore is not None, "ingest first"
        hits = self.vectorstore.similarity_search(question, k=k)
        return list(dict.fromkeys(str(h.metadata["doc_id"]) for h in hits))

    def chain(self, llm: Any) -> Runnable[str, str]:
        """Return the "stuff" answer chain: retrieve, format, prompt, model, parse."""
        prompt = ChatPromptTemplate.from_template(RAG_PROMPT)
        chain: Runnable[str, str] = (
            {"context": self.retriever() | format_docs, "question": RunnablePassthrough()}
            | prompt
            | llm
            | StrOutputParser()
        )
        return chain


def chat_model(base_url: str, model: str = "gpt-4o-mini") -> Any:
    """Return a ChatOpenAI client pointed at an OpenAI-compatible server."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(model=model, base_url=base_url, api_key="sk-bench",
                      temperature=0, max_retries=0)
