"""Readers for stored message dumps. Each reader yields ``Post`` or ``Skip`` items in file order.

Formats: Telegram Desktop export (``result.json``, single-chat and full-account shapes), Telethon
``to_json``/``to_dict`` JSON lines, twarc2 JSONL (API pages, flattened tweets, error-only lines) and a plain
JSONL of ``{platform, channel, message_id, date, text}``. ``read_paths`` detects the format per file.
"""

from monitor.dumps.base import FORMATS, DumpFormatError, Skip
from monitor.dumps.detect import detect_format, iter_files, read_file, read_paths

__all__ = ["FORMATS", "DumpFormatError", "Skip", "detect_format", "iter_files", "read_file", "read_paths"]
