from retrieval.chunking import chunk_document, split_blocks, split_sections, ticket_chunk
from retrieval.tokens import count_tokens
from retrieval.types import Document, Ticket

ARTICLE = """# Set up SAML SSO

SSO is available on Business and Enterprise.

## Steps
1. Open Workspace settings.
2. Go to Security > SAML SSO.

3. Paste the metadata URL.
   It is on your IdP's app page.

Then click Save.

## Troubleshooting
```
# this is a comment, not a heading
```
"""


def test_sections_follow_headings_and_skip_the_title() -> None:
    sections = split_sections("Set up SAML SSO", ARTICLE)
    assert [s.heading for s in sections] == ["", "Steps", "Troubleshooting"]
    assert "# this is a comment" in sections[2].body


def test_a_loose_numbered_list_stays_one_block_and_the_next_paragraph_does_not_join() -> None:
    blocks = split_blocks(split_sections("Set up SAML SSO", ARTICLE)[1].body)
    assert blocks[0].startswith("1. Open") and "3. Paste" in blocks[0]
    assert "It is on your IdP" in blocks[0]
    assert blocks[1] == "Then click Save."


def test_chunks_never_cross_sections_and_carry_context() -> None:
    doc = Document(id="kb-sso", title="Set up SAML SSO", text=ARTICLE, url="https://x/sso",
                   language="en")
    chunks = chunk_document(doc)
    assert [c.id for c in chunks] == ["kb-sso#0", "kb-sso#1", "kb-sso#2"]
    assert chunks[1].index_text.startswith("Set up SAML SSO > Steps\n")
    assert chunks[1].url == "https://x/sso" and chunks[1].section == 1


def test_long_sections_are_cut_to_the_token_budget() -> None:
    text = "## Long\n" + "\n\n".join(f"Paragraph {i} " + "word " * 60 for i in range(20))
    chunks = chunk_document(Document(id="d", title="t", text=text), max_tokens=120)
    assert len(chunks) > 5
    assert all(c.tokens <= 120 for c in chunks)
    assert all(c.section == 0 for c in chunks)


def test_a_single_huge_paragraph_is_still_split() -> None:
    text = "これはとても長い段落です。" * 400
    chunks = chunk_document(Document(id="ja", title="長い", text=text, language="ja"),
                            max_tokens=150)
    assert len(chunks) > 3 and all(count_tokens(c.text) <= 150 for c in chunks)


def test_ticket_chunk_drops_quoted_history_and_keeps_resolution_as_metadata() -> None:
    ticket = Ticket(id="T-1", subject="Export broken", body="It fails.\n> On Tue you wrote: hi",
                    resolution="Use the JSON export.", tag="bug", account_id="acct_0001")
    chunk = ticket_chunk(ticket)
    assert chunk.text == "Export broken\nIt fails."
    assert chunk.metadata["resolution"] == "Use the JSON export."
    assert chunk.metadata["tag"] == "bug" and chunk.source == "ticket"
