"""The shipped classifier, normalisation, cues, and bad input."""

from __future__ import annotations

from classifiers.base import LABELS
from classifiers.cues import CueLexicon
from classifiers.model import EMPTY, chunk_text
from classifiers.normalize import clean_for_model, normalize_arabic, normalize_for_match


def test_arabic_normalisation_folds_variants() -> None:
    assert normalize_arabic("أإآٱ") == "اااا"
    assert normalize_arabic("مُسَيَّرَة") == "مسيره"  # diacritics gone, ta marbuta -> ha
    assert normalize_arabic("عــــاجل") == "عاجل"  # tatweel
    assert normalize_arabic("مستشفى") == "مستشفي"
    assert normalize_arabic("٣ صواريخ و۴") == "3 صواريخ و4"
    assert normalize_for_match("#المقاومة_الإسلامية") == "#المقاومه الاسلاميه"


def test_clean_for_model_drops_links_and_handles() -> None:
    text = "🔴 عاجل | قصف https://t.me/somechannel/123 @sabq_news #بغداد_الآن"
    assert clean_for_model(text) == "🔴 عاجل | قصف #بغداد الآن"


def test_a_shouted_post_reaches_the_encoder_in_lower_case_with_its_acronyms() -> None:
    from classifiers.model import pieces
    from classifiers.normalize import unshout

    shouted = "BREAKING: IED TARGETS COALITION SUPPLY CONVOY NEAR DIWANIYAH, NO CASUALTIES — SECURITY SOURCE"
    assert unshout(shouted) == ("breaking: IED targets coalition supply convoy near diwaniyah, no casualties — "
                                "security source")
    assert pieces(shouted, by_segment=False)[0] == [unshout(shouted)]  # what the classifier scores
    # ordinary text, a headline with a few capitals, Arabic and short lines are left as written
    assert unshout("KH: 'THE RESPONSE IS COMING'") == "KH: 'the response is coming'"
    for text in ("Rockets hit Ain al-Asad, the US-led coalition says", "BREAKING: Rockets hit Ain al-Asad base",
                 "عاجل | انفجار عبوة ناسفة في بغداد", "BREAKING:"):
        assert unshout(text) == text


def test_cues_match_through_clitics_and_spelling_variants() -> None:
    lex = CueLexicon.default()
    found = lex.match("وبطائرةٍ مُسيّرة استهدفنا القاعدة")  # clitic و + diacritics + shadda
    assert "بطائرة مسيرة" in found["attack_claim"]
    found = lex.match("Protesters blocked the road; the strikers marched")
    assert "protesters" in found["protest"]
    assert "strike" not in found.get("protest", [])  # word boundary: "strikers" is not "strike"
    found = lex.match("a drone strike hit the base")
    assert "drone strike" in found["attack_claim"]


def test_shipped_model_labels_clear_cases(classifier) -> None:  # type: ignore[no-untyped-def]
    texts = [
        "🔴 عاجل | استهدف مجاهدو المقاومة الإسلامية في العراق قاعدة حرير بطائرة مسيرة وحققت إصابات مباشرة",
        "BREAKING: Three Katyusha rockets struck near the US embassy in Baghdad's Green Zone tonight, "
        "security sources said.",
        "آلاف المتظاهرين يقطعون جسر الناصرية ويحرقون الإطارات احتجاجاً على انقطاع الكهرباء #ذي_قار",
        "Teachers across Basra walk out today and rally outside the education directorate over unpaid wages.",
        "نحذر قوات الاحتلال الأمريكي: أمامكم أسبوع واحد لمغادرة أرض العراق وإلا ستكون قواعدكم أهدافاً مشروعة",
        "The dinar closed at 1,480 to the dollar in Baghdad exchanges today.",
        "الأرصاد الجوية: أجواء مشمسة وارتفاع طفيف في درجات الحرارة غداً",
    ]
    results = classifier.predict(texts).results
    assert "attack_claim" in results[0].labels
    assert "attack_claim" in results[1].labels
    assert "protest" in results[2].labels
    assert "protest" in results[3].labels
    assert "threat" in results[4].labels
    assert results[5].labels == [] and results[6].labels == []
    for res in results:
        assert set(res.scores) == set(LABELS)
        assert all(0.0 <= v <= 1.0 for v in res.scores.values())
        assert set(res.cues) <= set(res.labels)
    assert results[0].cues["attack_claim"]  # the cues behind the decision are given


def test_bad_input_is_reported_not_raised(classifier) -> None:  # type: ignore[no-untyped-def]
    filler = "الطقس اليوم معتدل في بغداد والأسواق مزدحمة قبل العيد. " * 250  # ~14,000 characters
    claim = "استهدف مجاهدو المقاومة الإسلامية قاعدة عين الأسد بثلاث طائرات مسيرة وحققت إصابات مباشرة"
    texts = ["", "   \n\t", filler + claim, "mixed نص عربي with English و 🚨🚨 ⚡️", "\ufffd\ufffd broken"]
    results = classifier.predict(texts).results
    assert len(results) == len(texts)
    assert results[0].error == EMPTY and results[0].labels == []
    assert results[1].error == EMPTY
    assert "attack_claim" in results[2].labels  # found in the last chunk of a very long post
    assert results[3].error is None and results[4].error is None


def test_chunking_covers_long_text() -> None:
    text = "word " * 1000
    chunks = chunk_text(text.strip(), size=300, limit=100)
    assert all(len(c) <= 300 for c in chunks)
    assert sum(len(c.split()) for c in chunks) == 1000
    assert len(chunk_text(text, size=300, limit=3)) == 3
