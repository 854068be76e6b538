import json
from pathlib import Path

import pytest

from retrieval.loaders import (
    TaxonomyError,
    load_knowledge_base,
    load_taxonomy,
    load_tickets,
    parse_column_map,
)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_markdown_front_matter_gives_id_title_url_language(tmp_path: Path) -> None:
    write(tmp_path / "sso.md", "---\nid: kb-sso\ntitle: SSO\nurl: https://h/sso\nlanguage: en\n"
          "category: security\nupdated: 2026-01-02\n---\n# SSO\n\nBody text.\n")
    result = load_knowledge_base(tmp_path)
    assert result.problems == []
    doc = result.documents[0]
    assert (doc.id, doc.title, doc.url, doc.language) == ("kb-sso", "SSO", "https://h/sso", "en")
    assert doc.metadata == {"category": "security", "updated": "2026-01-02"}


def test_markdown_without_front_matter_uses_path_and_heading(tmp_path: Path) -> None:
    write(tmp_path / "guides" / "invite.md", "# Invite people\n\nおはよう。招待の手順です。")
    doc = load_knowledge_base(tmp_path).documents[0]
    assert doc.id == "guides/invite" and doc.title == "Invite people" and doc.language == "ja"


def test_html_boilerplate_is_stripped(tmp_path: Path) -> None:
    write(tmp_path / "a.html", """<html lang="ja"><head><title>Site | 記事</title>
    <meta name="kotae-id" content="kb-html"><link rel="canonical" href="https://h/a"></head>
    <body><nav>Home Pricing</nav><header>Logo</header>
    <div class="cookie-banner">We use cookies</div>
    <article><h1>記事のタイトル</h1><p>本文です。</p><ol><li>設定を開く</li><li>保存</li></ol>
    </article><footer>© 2026</footer><script>alert(1)</script></body></html>""")
    doc = load_knowledge_base(tmp_path).documents[0]
    assert doc.id == "kb-html" and doc.url == "https://h/a" and doc.language == "ja"
    assert doc.title == "記事のタイトル"
    assert "1. 設定を開く" in doc.text and "2. 保存" in doc.text
    for junk in ("cookies", "Home Pricing", "Logo", "2026", "alert"):
        assert junk not in doc.text


def test_html_inline_elements_add_no_spaces_and_tables_are_markdown_tables(tmp_path: Path) -> None:
    write(tmp_path / "ja.html", """<html lang="ja"><body><article><h1>データの保管</h1>
    <p>Enterpriseプランでは<strong>東京リージョン</strong>を選択できます。</p>
    <ul><li><a href="/x">設定</a>を開く</li></ul>
    <table><tr><th>プラン</th><th>料金</th></tr><tr><td>Team</td><td>¥1,200</td></tr></table>
    </article></body></html>""")
    write(tmp_path / "en.html", """<html lang="en"><body><article><h1>Export</h1>
    <p>See <a href="https://h/export">Exporting your data</a>. Use <code>CSV</code>,
    or <em>JSON</em>.</p><p>One</p><p>Two</p>
    <table><tr><th>Plan</th><th>Seats</th></tr><tr><td>Free</td><td>a | b</td></tr></table>
    </article></body></html>""")
    docs = {d.id: d.text for d in load_knowledge_base(tmp_path).documents}
    ja, en = docs["ja"], docs["en"]
    assert "Enterpriseプランでは東京リージョンを選択できます。" in ja
    assert "- 設定を開く" in ja
    assert "| プラン | 料金 |\n|---|---|\n| Team | ¥1,200 |" in ja
    assert "See Exporting your data. Use CSV, or JSON." in en
    assert "One\n" in en and "Two\n" in en and "OneTwo" not in en
    assert "| Plan | Seats |\n|---|---|\n| Free | a \\| b |" in en


def test_jsonl_bad_line_is_reported_with_path_and_line_and_the_rest_lands(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.jsonl",
                 '{"id": "a", "title": "A", "text": "alpha"}\n{"id": "b", "text": \n'
                 '{"id": "c", "text": "gamma"}\n')
    result = load_knowledge_base(tmp_path)
    assert [d.id for d in result.documents] == ["a", "c"]
    assert len(result.problems) == 1
    assert result.problems[0].location == f"{path}:2"
    assert "malformed JSON" in result.problems[0].message


def test_duplicate_ids_keep_the_first_and_say_where_it_was(tmp_path: Path) -> None:
    write(tmp_path / "a.jsonl", '{"id": "x", "text": "one"}\n{"id": "x", "text": "two"}\n')
    result = load_knowledge_base(tmp_path)
    assert [d.text for d in result.documents] == ["one"]
    assert "duplicate id 'x'" in result.problems[0].message
    assert "a.jsonl:1" in result.problems[0].message


def test_empty_oversized_and_undecodable_files_are_reported(tmp_path: Path) -> None:
    write(tmp_path / "empty.md", "---\ntitle: Nothing\n---\n\n")
    write(tmp_path / "big.txt", "x" * 2000)
    write(tmp_path / "latin1.txt", "Caf\xe9 cr\xe8me".encode("latin-1"))
    write(tmp_path / "ok.md", "# Fine\n\ntext")
    result = load_knowledge_base(tmp_path, max_file_bytes=1000)
    assert [d.id for d in result.documents] == ["ok"]
    messages = " | ".join(str(p) for p in result.problems)
    assert "is empty" in messages
    assert "over the" in messages and "split it" in messages
    assert "not valid UTF-8" in messages and "iconv" in messages


def test_shift_jis_japanese_is_accepted(tmp_path: Path) -> None:
    write(tmp_path / "sjis.txt", "請求書について\n請求書払いの手順です。".encode("cp932"))
    doc = load_knowledge_base(tmp_path).documents[0]
    assert doc.title == "請求書について" and doc.language == "ja"


def test_missing_directory_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    result = load_knowledge_base(tmp_path / "nope")
    assert result.documents == [] and "no such file" in result.problems[0].message


def test_tickets_csv_with_column_mapping(tmp_path: Path) -> None:
    path = write(tmp_path / "export.csv",
                 "Ticket ID,Title,Description,Public reply,Type\n"
                 '1,Export,"CSV export, broken",Use JSON,bug\n'
                 "2,,,nothing,usage_question\n")
    mapping = parse_column_map("id=Ticket ID,subject=Title,body=Description,"
                               "resolution=Public reply,tag=Type")
    result = load_tickets(path, columns=mapping)
    assert [(t.id, t.subject, t.body, t.resolution, t.tag) for t in result.tickets] == [
        ("1", "Export", "CSV export, broken", "Use JSON", "bug")]
    assert result.problems[0].location == f"{path}:3"
    assert "no body" in result.problems[0].message


def test_tickets_jsonl_keeps_extra_fields_as_metadata(tmp_path: Path) -> None:
    path = write(tmp_path / "t.jsonl", json.dumps(
        {"id": "T-1", "body": "請求書払いはできますか", "plan": "Business", "channel": "email"},
        ensure_ascii=False) + "\nnot json\n")
    result = load_tickets(path)
    ticket = result.tickets[0]
    assert ticket.language == "ja" and ticket.metadata == {"plan": "Business", "channel": "email"}
    assert result.problems[0].location == f"{path}:2"


def test_bad_column_mapping_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown ticket field"):
        parse_column_map("bodyy=Description")


def test_taxonomy_yaml_and_json_and_default(tmp_path: Path) -> None:
    yaml_path = write(tmp_path / "t.yaml", "tags:\n  - name: bug\n    description: broken\n"
                      "    examples: [it crashes]\n  - name: usage_question\n")
    assert load_taxonomy(yaml_path).names == ["bug", "usage_question"]
    json_path = write(tmp_path / "t.json", json.dumps([{"name": "card_lost"}, "refund"]))
    assert load_taxonomy(json_path).names == ["card_lost", "refund"]
    assert load_taxonomy(None).names == ["bug", "usage_question", "success_opportunity"]


def test_taxonomy_with_duplicates_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "t.yaml", "tags: [bug, bug]\n")
    with pytest.raises(TaxonomyError, match="unique"):
        load_taxonomy(path)


def test_region_qualified_language_tags_become_bare_codes(tmp_path: Path) -> None:
    write(tmp_path / "kb" / "sso.md", "---\nid: kb-sso\nlanguage: en-US\n---\n# SSO\n\nBody.\n")
    write(tmp_path / "kb" / "sso-ja.md",
          "---\nid: kb-ja-sso\nlanguage: ja_JP\n---\n# SSO\n\nシングルサインオンの設定。\n")
    write(tmp_path / "kb" / "faq.jsonl",
          json.dumps({"id": "kb-faq", "text": "Answers.", "language": "EN"}) + "\n"
          + json.dumps({"id": "kb-odd", "text": "Odd.", "language": 5}) + "\n")
    write(tmp_path / "kb" / "page.html",
          '<html lang="ja-JP"><body><article><h1>設定</h1><p>設定の方法。</p></article></body></html>')
    docs = {d.id: d.language for d in load_knowledge_base(tmp_path / "kb").documents}
    assert docs == {"kb-sso": "en", "kb-ja-sso": "ja", "kb-faq": "en", "page": "ja", "kb-odd": "5"}
    tickets = write(tmp_path / "t.csv", "id,body,language\n1,Export is broken,English\n"
                    "2,エクスポートできません,Japanese\n3,Hola,es-MX\n")
    assert [t.language for t in load_tickets(tickets).tickets] == ["en", "ja", "es"]


def test_a_symlink_leaving_the_folder_is_refused_and_one_inside_is_read(tmp_path: Path) -> None:
    kb, outside = tmp_path / "kb", tmp_path / "outside"
    write(outside / "passwd.md", "root:x:0:0:root:/root:/bin/bash")
    write(outside / "private" / "notes.md", "# Notes\n\nsecret")
    write(kb / "guide.md", "# Guide\n\nInvite people from Members.")
    (kb / "faq.md").symlink_to(outside / "passwd.md")
    (kb / "linked").symlink_to(outside / "private", target_is_directory=True)
    (kb / "same.md").symlink_to(kb / "guide.md")  # stays inside: fine
    result = load_knowledge_base(kb)
    assert sorted(d.id for d in result.documents) == ["guide", "same"]
    assert all("root:x" not in d.text for d in result.documents)
    messages = sorted(str(p) for p in result.problems)
    assert messages == [
        f"{kb / 'faq.md'}: error: is a symbolic link to {outside / 'passwd.md'}, outside the "
        f"knowledge-base folder {kb}; it was not read (copy the file into the folder instead "
        "of linking to it)",
        f"{kb / 'linked'}: error: is a symbolic link to {outside / 'private'}, outside the "
        f"knowledge-base folder {kb}; it was not read (copy the file into the folder instead "
        "of linking to it)",
    ]


def test_files_and_records_with_nul_characters_are_refused(tmp_path: Path) -> None:
    write(tmp_path / "binary.md", b"# Title\n\nabc\x00def")
    write(tmp_path / "records.jsonl", '{"id": "a", "text": "alpha"}\n'
          '{"id": "b", "text": "be\\u0000ta"}\n')
    write(tmp_path / "ok.md", "# Fine\n\ntext")
    result = load_knowledge_base(tmp_path)
    assert sorted(d.id for d in result.documents) == ["a", "ok"]
    messages = [str(p) for p in result.problems]
    assert any(m.startswith(f"{tmp_path / 'binary.md'}: error: contains a NUL character")
               for m in messages), messages
    assert any(m.startswith(f"{tmp_path / 'records.jsonl'}:2: error: a field contains a NUL")
               for m in messages), messages
    tickets = write(tmp_path / "t.jsonl", '{"id": "1", "body": "x\\u0000y"}\n')
    assert "NUL" in str(load_tickets(tickets).problems[0])


def test_the_size_limit_speaks_one_unit(tmp_path: Path) -> None:
    write(tmp_path / "big.md", "x" * (3 * 1024 * 1024 // 2))
    result = load_knowledge_base(tmp_path, max_file_bytes=1024 * 1024)
    assert "file is 1.5 MiB, over the 1 MiB limit" in str(result.problems[0])


def test_a_taxonomy_label_may_carry_its_reply_and_article(tmp_path: Path) -> None:
    from retrieval.loaders import TaxonomyError, load_taxonomy

    path = tmp_path / "tags.yaml"
    path.write_text("tags:\n- name: hours\n  answer: {en: 'Open 9-18 JST.', ja-JP: '9時〜18時です。'}\n"
                    "- name: refund\n  answer: 返金は30日以内です。\n  article: kb-refund\n"
                    "- name: other\n", encoding="utf-8")
    hours, refund, other = load_taxonomy(path).tags
    assert hours.answer_in("ja") == "9時〜18時です。" and hours.answer_in("en") == "Open 9-18 JST."
    assert refund.answer_in("en") == "返金は30日以内です。"  # the only reply it has
    assert refund.article == "kb-refund" and other.answer_in("en") is None
    assert load_taxonomy(path).to_dict()["tags"][1]["article"] == "kb-refund"
    path.write_text("tags:\n- name: hours\n  answer: [not, a, text]\n", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="answer of tag 'hours'"):
        load_taxonomy(path)


def test_the_readmes_taxonomy_example_loads_as_documented(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The taxonomy file", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "taxonomy.yaml"
    path.write_text(example, encoding="utf-8")
    taxonomy = load_taxonomy(path)
    assert taxonomy.names == ["bug", "usage_question", "success_opportunity", "opening_hours",
                              "invoice_download"]
    hours = taxonomy.tags[3]
    assert (hours.answer_in("ja") or "").startswith("サポートの受付時間")
    assert "Monday to Friday" in (hours.answer_in("en") or "")
    assert taxonomy.tags[4].article == "kb-invoices-and-payment-methods"
    assert (Path(__file__).resolve().parents[2] / "data/demo/kb/invoices-and-payment-methods.md"
            ).read_text(encoding="utf-8").count("id: kb-invoices-and-payment-methods") == 1
