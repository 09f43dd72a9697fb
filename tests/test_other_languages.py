"""Kurdish, Persian and Turkish posts: marked unsupported by default, labelled by their own head when turned on;
the head's fit; their weapon words in the event record; their posts in story matching."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from classifiers.events.extract import _weapon
from classifiers.model import ModelNotFound, OtherLanguages, default_model_dir, load_classifier
from classifiers.normalize import normalize_for_match
from classifiers.other_languages import fit, load_rows
from classifiers.other_languages import main as fit_main
from monitor.signatures import MatchConfig

POSTS = [  # (text, language, labels with the head on)
    ("🔴 بەپەلە | درۆنێک هێرشی کردە سەر بنکەی حەریر لە باکووری هەولێر، دوو تەقینەوە بیسترا", "ckb", ["attack_claim"]),
    ("کەشناسی سلێمانی: سبەی هەوا ساماڵ دەبێت و پلەی گەرما بەرز دەبێتەوە ☀️", "ckb", []),
    ("MSB: Irak'ın kuzeyindeki Metina bölgesinde 4 PKK'lı terörist hava harekâtıyla etkisiz hâle getirildi.", "tr",
     ["attack_claim"]),
    ("Kerkük'te bu hafta sonu Türkmen halk müziği festivali düzenlenecek, program açıklandı.", "tr", []),
    ("پهپادهای ناشناس بامداد امروز به پایگاه حریر در اربیل حمله کردند و صدای دو انفجار شنیده شد", "fa",
     ["attack_claim"]),
    ("بازار ارز تهران: قیمت دلار امروز کمی کاهش یافت", "fa", []),
    ("Mamosteyên Duhokê îro li ber avahiya parêzgehê xwepêşandan kirin ji bo mûçeyên xwe", "kmr", ["protest"]),
]
ARABIC_ENGLISH = ["طائرة مسيرة تستهدف قاعدة حرير شمال أربيل", "The weather in Erbil is sunny today"]


@pytest.fixture(scope="module")
def judging():  # type: ignore[no-untyped-def]
    return load_classifier(other_languages=True)


def test_by_default_they_are_marked_unsupported_and_given_no_label(classifier) -> None:  # type: ignore[no-untyped-def]
    assert classifier.other is None and classifier.other_available is not None
    for result, (_, lang, _) in zip(classifier.predict([t for t, _, _ in POSTS]).results, POSTS, strict=True):
        assert result.unsupported_language and result.labels == [] and result.lang == lang


def test_turned_on_the_head_labels_them_and_leaves_arabic_and_english_as_they_were(classifier, judging) -> None:  # type: ignore[no-untyped-def]
    results = judging.predict([t for t, _, _ in POSTS]).results
    assert [r.labels for r in results] == [labels for _, _, labels in POSTS]
    assert not any(r.unsupported_language for r in results)
    # no cue lexicon for these languages: a label says it is the model's judgement alone
    assert results[0].cues == {"attack_claim": []}
    on, off = judging.predict(ARABIC_ENGLISH), classifier.predict(ARABIC_ENGLISH)
    assert [r.scores for r in on.results] == [r.scores for r in off.results]
    assert np.array_equal(on.embeddings, off.embeddings)
    assert "+other-languages" in judging.name and "+other-languages" not in classifier.name


def test_the_switch_reads_plain_words_and_refuses_others() -> None:
    assert OtherLanguages.flag("classify") is True and OtherLanguages.flag("ON") is True
    assert OtherLanguages.flag("unsupported") is False and OtherLanguages.flag("0") is False
    assert OtherLanguages.flag(None) is None and OtherLanguages.flag(" ") is None
    with pytest.raises(ValueError, match="MONITOR_OTHER_LANGUAGES"):
        OtherLanguages.flag("sometimes")


def test_a_model_without_the_head_says_so_when_asked_for_it() -> None:
    full = load_classifier("full", other_languages=False)
    assert full.other is None
    with pytest.raises(ModelNotFound, match="no head for Kurdish"):
        load_classifier("full", other_languages=True)


def test_the_fit_chooses_strength_and_thresholds_out_of_fold() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(120, 8)).astype(np.float32)
    y = np.zeros((120, 3))
    y[:, 1] = x[:, 0] > 0.5  # attack_claim: one direction of the space
    y[:, 2] = x[:, 1] > 0.8
    head, thresholds, report = fit(x, y, [f"k{i}" for i in range(120)], l2_grid=(1.0, 1000.0))
    assert report["l2"] == 1.0 and report["oof_macro_f1"] > 0.8
    assert report["trials"]["1"] > report["trials"]["1000"]
    assert set(thresholds) == {"threat", "attack_claim", "protest"}
    assert ((head.predict_proba(x)[:, 1] >= thresholds["attack_claim"]) == (y[:, 1] > 0)).mean() > 0.9


def test_the_fit_writes_a_head_the_model_loads_switched_off(tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(default_model_dir(), model)
    data = tmp_path / "other.jsonl"
    rows = [{"id": f"t-{i}", "lang": lang, "text": text, "labels": labels, "split": "train"}
            for i, (text, lang, labels) in enumerate(POSTS * 3)]
    rows.append({"id": "t-ar", "lang": "ar", "text": ARABIC_ENGLISH[0], "labels": ["attack_claim"], "split": "train"})
    rows.append({"id": "t-held", "lang": "ckb", "text": POSTS[0][0], "labels": [], "split": "test"})
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert len(load_rows([data])) == len(POSTS) * 3  # neither Arabic nor the test split
    assert fit_main(["--model", str(model), "--data", str(data), "--l2", "10"]) == 0
    entry = json.loads((model / "meta.json").read_text())["other_languages"]
    assert entry["enabled"] is False and entry["posts"] == len(POSTS) * 3 and entry["l2"] == 10
    assert load_classifier(model).other is None
    assert load_classifier(model, other_languages=True).predict([POSTS[1][0]]).results[0].labels == []


def test_the_fit_refuses_bad_labels(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text(json.dumps({"id": "x", "lang": "fa", "text": "سلام", "labels": ["riot"]}) + "\n")
    with pytest.raises(ValueError, match="labels must be among"):
        load_rows([data])


@pytest.mark.parametrize(("text", "weapon"), [
    ("İHA ile etkisiz hale getirildi", "drone"), ("SİHA'larla vuruldu", "drone"), ("ihale süreci başladı", None),
    ("درۆنێک لە فڕۆکەخانەی هەولێری دا", "drone"), ("balafireke bêmirov a Tirkiyê", "drone"),
    ("حمله پهپادی به فرودگاه اربیل", "drone"), ("انفجار بمب کنار جاده در بیجی", "IED"),
    ("کاتیۆشایەک کەوتە نزیک فڕۆکەخانە", "rocket"), ("Kerkük'te havanın sıcaklığı 48 derece", None),
    # Arabic and English words that hold those strings stay what they were
    ("مزاد البنك المركزي بمبيعات 240 مليون دولار", None), ("سادين الطريق بالتراكتورات", None),
    ("Relentless bombardment of the Qatari goal", None), ("they shelled and droned the village", "shelling"),
])
def test_their_weapon_words_type_the_event(text: str, weapon: str | None) -> None:
    assert _weapon(normalize_for_match(text))[0] == weapon


def test_their_posts_open_an_alert_alone_only_past_their_own_margin_capped_at_099() -> None:
    cfg = MatchConfig(open_margin=0.05, other_lang_open_margin=1.0, label_thresholds=(("attack_claim", 0.7),))
    scores = {"attack_claim": 0.95}
    assert cfg.confident(scores, ["attack_claim"], 80, "ar") and cfg.confident(scores, ["attack_claim"], 80)
    assert not cfg.confident(scores, ["attack_claim"], 80, "ckb")
    assert cfg.confident({"attack_claim": 0.995}, ["attack_claim"], 80, "ckb")  # the bar is capped at 0.99
    assert MatchConfig(open_margin=0.05, label_thresholds=(("attack_claim", 0.7),)).confident(
        scores, ["attack_claim"], 80, "ckb")


def test_monitor_classify_says_unsupported_or_labels_with_the_switch() -> None:
    import os
    import subprocess
    import sys

    line = json.dumps({"text": POSTS[0][0]}, ensure_ascii=False) + "\n"
    outs = {}
    for value in ("", "classify"):
        env = {**os.environ, "MONITOR_OTHER_LANGUAGES": value}
        run = subprocess.run([sys.executable, "-m", "monitor.cli", "classify", "-"], input=line, env=env,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        outs[value] = json.loads(run.stdout.strip().splitlines()[-1])
    assert outs[""]["unsupported_language"] is True and outs[""]["lang"] == "ckb" and outs[""]["labels"] == []
    assert outs["classify"]["labels"] == ["attack_claim"] and "unsupported_language" not in outs["classify"]


def test_the_feed_evaluation_reports_them_judged_only_when_the_head_judged_them(tmp_path: Path, classifier,  # type: ignore[no-untyped-def]
                                                                                judging) -> None:
    from monitor.feed_eval import load_feed, per_post

    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps({
        "platform": "telegram", "channel": "100", "message_id": str(i), "date": f"2027-05-01T0{i}:00:00Z",
        "text": text, "lang": lang, "labels": labels, "event": f"E{i}" if labels else None}, ensure_ascii=False)
        + "\n" for i, (text, lang, labels) in enumerate(POSTS)), encoding="utf-8")
    items = load_feed([feed])
    off, on = per_post(classifier, items), per_post(judging, items)
    assert off["other_languages"]["marked_unsupported"] == len(POSTS) and "judged" not in off["other_languages"]
    judged = on["other_languages"]["judged"]["per_label"]
    assert judged["attack_claim"]["f1"] == judged["protest"]["f1"] == 1.0
    assert on["other_languages"]["judged"]["false_alerts_per_100_quiet"] == 0.0
