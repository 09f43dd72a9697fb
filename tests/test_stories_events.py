"""Story matching on event records: translations and retellings joined by event key, near misses kept
apart by place, time and type, follow-ups, bare district names, and the event key on the wire."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from classifiers.anchors import MEASURE, anchors, numbers
from classifiers.events import extract_event
from classifiers.events.gazetteer import bare_districts
from classifiers.events.trie import dialect_variants
from classifiers.normalize import normalize_for_match
from monitor.signatures import (
    EventKey,
    MatchConfig,
    Signature,
    compare,
    fits_story,
    follows_on,
    follows_up,
    is_advisory,
    labels_compatible,
    near_miss,
    same_story,
    sets_apart,
    threat_deadline,
)

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # a Thursday, noon in Baghdad
CFG = MatchConfig(same_lang_cos=0.93, same_lang_jaccard=0.2, cross_lang_cos=0.90, corroborated_cos=0.76,
                  event_cos=0.84, event_loose_cos=0.90)


def _emb(cos: float) -> np.ndarray:
    """A unit vector at cosine ``cos`` from the first axis."""
    vec = np.zeros(8, dtype=np.float32)
    vec[0], vec[1] = cos, np.sqrt(max(0.0, 1 - cos * cos))
    return vec


def _sig(text: str, lang: str, labels: list[str], *, hours: float = 0.0, cos: float = 1.0) -> Signature:
    posted = T0 + timedelta(hours=hours)
    event = extract_event(text, labels, posted)
    return Signature.of(text, lang, _emb(cos), posted.timestamp(), labels=labels,
                        event=event.to_dict() if event else None)


CHECKPOINT_AR = "هجوم مسلح يستهدف سيطرة للجيش في ناحية عين التمر غربي كربلاء واصابة جنديين"
CHECKPOINT_EN = "Gunmen attacked an army checkpoint in Ain al-Tamr, west of Karbala, wounding two soldiers."


def test_a_translation_joins_by_event_key_below_the_cross_language_bar() -> None:
    a = _sig(CHECKPOINT_AR, "ar", ["attack_claim"])
    b = _sig(CHECKPOINT_EN, "en", ["attack_claim"], hours=0.7, cos=0.87)  # under cross_lang_cos 0.90
    assert a.event is not None and a.event.same_event(b.event) == 2
    assert same_story(a, b, CFG) is not None
    assert same_story(a, b, replace(CFG, event_cos=1.01, event_loose_cos=1.01)) is None  # the rule joins them
    # the low bar holds within the event window only: the same words 30 hours later are another attack
    later = _sig(CHECKPOINT_EN, "en", ["attack_claim"], hours=30, cos=0.87)
    assert same_story(a, later, CFG) is None


def test_a_dialect_retelling_with_a_bare_place_joins() -> None:
    msa = _sig("اغتيال ناشط مدني باطلاق نار من مسلحين يستقلون دراجة نارية وسط مدينة العمارة", "ar", ["attack_claim"])
    dialect = _sig("والله حرام.. اغتالوا الناشط بالعمارة، اثنين على ماطور رموا عليه وشردوا", "ar", ["attack_claim"],
                   hours=2, cos=0.90)
    assert "amarah" in dialect.anchors.places and dialect.event is not None and dialect.event.place == "amarah"
    assert same_story(msa, dialect, CFG) is not None


def test_bare_district_names_need_context_and_skip_ambiguous_words() -> None:
    def found(text: str) -> list[str]:
        return bare_districts(normalize_for_match(text))

    assert found("اغتالوا الناشط بالعمارة") == ["amarah"]
    assert found("عبوة ناسفة قرب الدبس") == ["dibis"]
    assert found("الخالص مجددا.. مسلحون") == ["khalis"]  # a dateline
    assert found("حصيلة ضربة مخمور: قتيل") == ["makhmour"]
    assert found("سقط جزء من العمارة القديمة") == []  # "the building": no preposition or noun that marks a place
    assert found("اهالي المدينة يتظاهرون") == []  # al-Madina: also "the city"
    assert found("Protest in Amarah") == []
    assert found("اهالي هيت گطعوا طريق هيت - الرمادي بالتايرات") == ["hit", "ramadi"]  # both ends of a road
    assert found("يقطعون الطريق الرابط بين هيت والرمادي") == ["hit", "ramadi"]


def test_two_ieds_on_convoys_in_two_districts_stay_apart() -> None:
    rutba = EventKey("violence", "Remote explosive/landmine/IED", "rutba", "rutba", "anbar", "iraq")
    samawah = EventKey("violence", "Remote explosive/landmine/IED", "samawah", "samawah", "muthanna", "iraq")
    assert rutba.place_relation(samawah) == -1 and rutba.conflicts(samawah)
    assert rutba.same_event(samawah) == 0
    # a convoy hit "on the Samawah-Rutba road": one channel's record says Samawah, another's Rutba
    assert not rutba.conflicts(samawah, mine=frozenset({"rutba", "samawah"}))
    a = _sig("عبوة ناسفة تستهدف رتل دعم لوجستي قرب الرطبة غربي الانبار", "ar", ["attack_claim"])
    b = _sig("عبوة ناسفة تستهدف رتل دعم لوجستي قرب السماوة", "ar", ["attack_claim"], hours=3, cos=0.97)
    assert same_story(a, b, CFG) is None


def test_a_found_rocket_and_one_that_lands_the_next_day_stay_apart() -> None:
    found = _sig("العثور على صاروخ معد للاطلاق موجه نحو قاعدة عين الاسد وتفكيكه", "ar", ["attack_claim"])
    landed = _sig("سقوط صاروخ في محيط قاعدة عين الاسد دون اصابات", "ar", ["attack_claim"], hours=24, cos=0.92)
    assert same_story(found, landed, CFG) is None
    # a rocket found primed and defused is not one that landed, even within the hour; a launcher found after
    # the attack, with the rockets that did not fire, is that attack's
    assert found.event is not None and found.event.found == "1"
    assert same_story(found, replace(landed, ts=found.ts + 1800), CFG) is None
    launcher = _sig("العثور على منصة الاطلاق التي استخدمت في قصف قاعدة عين الاسد وبداخلها صاروخ لم ينطلق وتفكيكه",
                    "ar", ["attack_claim"], hours=25, cos=0.95)
    assert launcher.event is not None and launcher.event.found == "" and not launcher.conflicts(landed)


def test_two_protest_calls_for_different_days_stay_apart() -> None:
    call = _sig("اتحاد النقابات يدعو الى وقفة احتجاجية في ساحة الحبوبي يوم السبت", "ar", ["protest"])
    now = _sig("المئات يتظاهرون الان في ساحة الحبوبي وسط الناصرية", "ar", ["protest"], hours=1, cos=0.95)
    assert call.event is not None and call.event.day  # the text dates its event
    assert same_story(call, now, CFG) is None


def test_an_ied_and_a_shooting_in_one_town_the_same_day_stay_apart() -> None:
    ied = EventKey("violence", "Remote explosive/landmine/IED", "khalis", "khalis", "diyala", "iraq")
    shot = EventKey("violence", "Attack", "khalis", "khalis", "diyala", "iraq")
    clash = EventKey("violence", "Armed clash", "khalis", "khalis", "diyala", "iraq")
    assert ied.same_event(shot) == 0  # two specific kinds of violence
    assert ied.same_event(clash) == 1  # the extraction's catch-all goes loosely with any


def test_first_actors_disagree_only_as_two_perpetrators() -> None:
    base = EventKey("violence", "Armed clash", "hit", "hit", "anbar", "iraq")
    isis = replace(base, actor1="Islamic State (ISIS)")
    assert isis.same_event(replace(base, actor1="Police Forces of Iraq")) == 2  # the reporting side, put first
    assert isis.same_event(replace(base, actor1="PKK")) == 0


def test_a_morning_after_follow_up_joins_past_the_window() -> None:
    report = _sig("Gunmen killed a village mukhtar and his son at their home in Muqdadiya, Diyala.", "en",
                  ["attack_claim"])
    follow = _sig("شرطة ديالى: مقتل مختار قرية في المقدادية ونجله باطلاق نار مساء امس واعتقال مشتبه به", "ar",
                  ["attack_claim"], hours=20, cos=0.86)
    assert follow.event is not None and follow.event.day == "2026-11-26"
    assert same_story(report, follow, CFG) is not None
    assert same_story(report, replace(follow, event=replace(follow.event, day="")), CFG) is None


def test_event_key_on_the_wire() -> None:
    sig = _sig(CHECKPOINT_AR, "ar", ["attack_claim"])
    back = Signature.from_wire(sig.to_wire())
    assert back.event == sig.event and back.event is not None and back.event.place == "ain_al_tamr"
    old = {**sig.to_wire(), "event": ["violence"]}  # written before the key held more than its family
    assert Signature.from_wire(old).event == EventKey("violence")


def test_a_bare_explosion_goes_loosely_with_the_rocket_another_report_names() -> None:
    rockets = _sig("قصف صاروخي يستهدف المنطقة الخضراء قرب السفارة", "ar", ["attack_claim"])
    blasts = _sig("صافرات السفارة شغالة هسه.. انفجارين بـ #الخضراء", "ar", ["attack_claim"], hours=0.2, cos=0.91)
    assert blasts.event is not None and blasts.event.sub == "Explosion" and blasts.event.place == "green_zone"
    assert rockets.event is not None and rockets.event.same_event(blasts.event) == 1
    assert same_story(rockets, blasts, CFG) is not None
    # an IED the text names as one stays another kind of attack than a rocket
    ied = _sig("عبوة ناسفة تنفجر في المنطقة الخضراء", "ar", ["attack_claim"], hours=0.2, cos=0.91)
    assert ied.event is not None and rockets.event.same_event(ied.event) == 0


def test_a_protest_joins_the_call_for_it_on_the_day_called() -> None:
    # T0 is a Thursday: the call names Saturday, two days ahead
    call = _sig("نقابة المعلمين تدعو الى وقفة احتجاجية في ساحة الحبوبي يوم السبت", "ar", ["protest"])
    assert call.event is not None and call.event.day == "2026-11-28"
    held = _sig("المئات من المعلمين يتظاهرون الان في #الحبوبي", "ar", ["protest"], hours=40, cos=0.90)
    assert held.event is not None and held.event.place == "habboubi_square"
    assert same_story(call, held, CFG) is not None
    # the same square a day early (Friday) is another protest
    early = replace(held, ts=held.ts - 24 * 3600)
    assert same_story(call, early, CFG) is None


def test_a_follow_up_naming_only_the_governorate_joins_at_the_loose_bar() -> None:
    report = _sig("اغتيال ناشط مدني باطلاق نار وسط مدينة العمارة", "ar", ["attack_claim"])
    follow = _sig("شرطة ميسان: الناشط الذي اغتيل مساء امس اصيب باربع رصاصات ولم تسجل اعتقالات", "ar",
                  ["attack_claim"], hours=14, cos=0.91)
    assert follow.event is not None and follow.event.place == "maysan" and follow.event.day == "2026-11-26"
    assert same_story(report, follow, CFG) is not None
    assert same_story(report, replace(follow, embedding=_emb(0.86)), CFG) is None  # under the loose bar


def test_a_report_of_the_small_hours_is_of_the_night_before_to_a_follow_up() -> None:
    # 01:30 in Baghdad on Friday: the strike was "last night" to a Friday-evening follow-up
    night = T0.replace(hour=22, minute=30)  # 22:30 UTC Thursday = 01:30 Friday in Baghdad
    report = Signature.of("Drone strike hits a vehicle near Jurf al-Nasr, Babil.", "en", _emb(1.0),
                          night.timestamp(), labels=["attack_claim"],
                          event=extract_event("Drone strike hits a vehicle near Jurf al-Nasr, Babil.",
                                              ["attack_claim"], night).to_dict())
    text = "مصادر: مقتل قياديين في الضربة الجوية قرب جرف النصر مساء امس"
    later = night + timedelta(hours=17)  # 18:30 Friday in Baghdad: «امس» is Thursday
    follow = Signature.of(text, "ar", _emb(0.86), later.timestamp(), labels=["attack_claim"],
                          event=extract_event(text, ["attack_claim"], later).to_dict())
    assert follow.event is not None and follow.event.day == "2026-11-26"
    assert same_story(report, follow, CFG) is not None
    assert follows_up(report, follow)
    # the same report posted at noon Friday is of Friday: "yesterday" is another day
    noon = replace(report, ts=(night + timedelta(hours=10)).timestamp())
    assert not follows_up(noon, follow)


def test_a_witness_elsewhere_joins_the_report_of_the_place_he_names() -> None:
    report = _sig("قصف صاروخي يستهدف المنطقة الخضراء قرب السفارة الامريكية في بغداد", "ar", ["attack_claim"])
    witness = _sig("احنا بالكرادة وسمعنا انفجارين من صوب الخضراء، كالوا صواريخ على السفارة", "ar", ["attack_claim"],
                   hours=0.5, cos=0.90)
    # the witness's own place is an anchor, and so is the bare name of the place he points to: no conflict
    assert {"karrada", "green_zone"} <= witness.anchors.places
    assert witness.event is not None and witness.event.place == "green_zone"
    assert same_story(report, witness, CFG) is not None


def test_a_follow_up_naming_the_attack_as_past_joins_without_a_date() -> None:
    report = _sig("مصدر في شرطة الانبار: هجوم مسلح على نقطة تفتيش للشرطة في قضاء هيت ومقتل منتسب", "ar",
                  ["attack_claim"])
    arrest = _sig("شرطة الانبار: القبض على اثنين من منفذي الهجوم على سيطرة هيت بعد مطاردة", "ar",
                  ["attack_claim"], hours=18, cos=0.92)
    assert arrest.event is not None and arrest.event.follow == "1" and not arrest.event.day
    assert follows_up(report, arrest)
    assert same_story(report, arrest, CFG) is not None
    # the same words without the reference back (a routine arrest in Hit the next day) stay apart
    routine = _sig("شرطة الانبار: القبض على اثنين من المطلوبين في قضاء هيت بعد مطاردة", "ar", ["attack_claim"],
                   hours=18, cos=0.92)
    assert routine.event is not None and not routine.event.follow
    assert same_story(report, routine, CFG) is None
    back = Signature.from_wire(arrest.to_wire())
    assert back.event == arrest.event


def test_the_same_formula_a_day_later_is_the_next_bombing_not_the_same_story() -> None:
    judge = _sig("عاجل | انفجار عبوة صوتية أمام منزل قاض في حي الحسين في مدينة العمارة دون إصابات", "ar",
                 ["attack_claim"])
    sheikh = _sig("عاجل | انفجار عبوة لاصقة تحت سيارة شيخ عشائري في مدينة العمارة وإصابته بجروح", "ar",
                  ["attack_claim"], hours=33, cos=0.965)
    assert same_story(judge, sheikh, CFG) is None  # cosine alone no longer joins past the event window
    # a repost (the same words) still does
    repost = _sig("عاجل | انفجار عبوة صوتية أمام منزل قاض في حي الحسين في مدينة العمارة دون إصابات 📡", "ar",
                  ["attack_claim"], hours=33, cos=0.99)
    assert same_story(judge, repost, CFG) is not None


def test_an_ultimatum_is_not_the_attack_its_author_claimed() -> None:
    claim = _sig("تعلن المقاومة الإسلامية استهداف قاعدة فكتوريا قرب مطار بغداد برشقة صواريخ فجر اليوم", "ar",
                 ["attack_claim", "threat"])
    ultimatum = _sig("إلى السفارة الأمريكية في بغداد: مهلة 48 ساعة لإخراج الخبراء من قاعدة فكتوريا", "ar",
                     ["threat"], hours=2, cos=0.95)
    assert same_story(claim, ultimatum, CFG) is None and same_story(ultimatum, claim, CFG) is None
    # a threat that answers the attack, naming its target as the one hit, joins it
    office = _sig("عبوة تستهدف مكتب أحد النواب في مدينة العمارة وتلحق أضرارا بالواجهة", "ar", ["attack_claim"])
    answer = _sig("النائب صاحب المكتب المستهدف في مدينة العمارة: وصلتني رسائل تهديد بتصفيتي", "ar", ["threat"],
                  hours=2, cos=0.92)
    assert answer.event is not None and answer.event.follow == "1"
    assert same_story(office, answer, CFG) is not None


def test_labels_compatible() -> None:
    t, a, p = frozenset({"threat"}), frozenset({"attack_claim"}), frozenset({"protest"})
    assert not labels_compatible(t, a) and labels_compatible(t, a, a_follows=True)
    assert not labels_compatible(t, a | t) and not labels_compatible(a | t, t)
    assert labels_compatible(a, a | t) and labels_compatible(p | t, p) and labels_compatible(t, t)
    assert labels_compatible(t, p | t)  # a protest that vows escalation: the classifier often misses one label
    assert not labels_compatible(a, p) and labels_compatible(frozenset(), a)


def test_graduates_and_retirees_in_one_square_are_two_protests() -> None:
    graduates = _sig("الخريجون يبدأون اعتصاما مفتوحا في ساحة التحرير ببغداد للمطالبة بالتعيين", "ar", ["protest"])
    retirees = _sig("Retirees rally in Tahrir Square demanding higher pensions", "en", ["protest"], hours=3,
                    cos=0.88)
    sit_in = _sig("Graduates keep up their open sit-in in Tahrir Square", "en", ["protest"], hours=3, cos=0.88)
    assert graduates.event is not None and graduates.event.actor1 == "Graduates (Iraq)"
    assert retirees.event is not None and retirees.event.actor1 == "Retirees (Iraq)"
    assert same_story(graduates, retirees, CFG) is None
    assert same_story(graduates, sit_in, CFG) is not None


def test_two_named_groups_protests_conflict_so_neither_joins_through_an_unnamed_report() -> None:
    graduates = _sig("الخريجون يبدأون اعتصاما مفتوحا امام مقر شركة نفط البصرة للمطالبة بالتعيين", "ar", ["protest"])
    residents = _sig("أهالي حي الشهداء بالبصرة يقطعون الشارع بالإطارات المحترقة احتجاجا على انقطاع الكهرباء", "ar",
                     ["protest"], hours=8, cos=0.93)
    assert graduates.event is not None and residents.event is not None
    assert (graduates.event.actor1, residents.event.actor1) == ("Graduates (Iraq)", "Residents (Iraq)")
    assert graduates.conflicts(residents) and residents.conflicts(graduates)
    crowd = _sig("محتجون يتجمعون في البصرة احتجاجا على تردي الخدمات", "ar", ["protest"], hours=6, cos=0.93)
    assert crowd.event is not None and not crowd.conflicts(graduates) and not crowd.conflicts(residents)


def test_a_found_rocket_and_a_fired_one_two_sides_hit_and_a_tribal_fight_beside_isis_are_apart() -> None:
    found = _sig("Erbil Asayish: a launch rail with one unfired rocket was found in a field near Sheikh Amir, west "
                 "of Erbil, and defused by EOD.", "en", ["attack_claim"])
    landed = _sig("A Katyusha rocket landed in an empty field near Erbil International Airport this morning, no "
                  "casualties.", "en", ["attack_claim"], hours=10, cos=0.97)
    assert found.event is not None and found.event.sub == "Disrupted weapons use" and found.event.found == "1"
    assert found.conflicts(landed) and landed.conflicts(found)
    # an Iraqi air strike on ISIS hideouts and an unidentified drone on a PMF position, one governorate
    drone = _sig("مصادر محلية: طائرة مسيرة مجهولة استهدفت موقعا لأحد ألوية الحشد الشعبي جنوب غربي قضاء القائم",
                 "ar", ["attack_claim"])
    jets = _sig("طائرات F-16 العراقية تنفذ ضربات جوية استهدفت أوكارا لعصابات داعش الإرهابية في صحراء الأنبار", "ar",
                ["attack_claim"], hours=10, cos=0.95)
    assert drone.event is not None and jets.event is not None
    assert (drone.event.actor2, jets.event.actor2) == ("Popular Mobilization Forces", "Islamic State (ISIS)")
    assert drone.conflicts(jets)
    # ... but a clash told from each side names both
    attacked = _sig("هجوم لعصابات داعش على نقطة للحشد الشعبي في وادي حوران قرب الرطبة", "ar", ["attack_claim"])
    repelled = _sig("مجاهدو الحشد الشعبي يصدون هجوما لداعش في وادي حوران ويقتلون اثنين", "ar", ["attack_claim"],
                    hours=1, cos=0.95)
    assert not attacked.conflicts(repelled)
    # a tribal fight and an ISIS attack in one governorate, one morning
    isis = _sig("داعش هاجموا نقطة جيش بوادي الشاي الفجر جنوب غرب كركوك، استشهد جنديين", "ar", ["attack_claim"])
    tribes = _sig("اشتباك بالأسلحة المتوسطة بين عشيرتين بأطراف دبس، اكو قتيل وثلاث جرحى", "ar", ["attack_claim"],
                  hours=8, cos=0.93)
    assert tribes.event is not None and tribes.event.actor1 == "Tribesmen (Iraq)" and tribes.conflicts(isis)


def test_the_dialects_second_day_and_a_missions_alert_that_lists_sites() -> None:
    start = _sig("فلاحو بابل يبدأون اعتصاما مفتوحا امام مبنى محافظة بابل في الحلة للمطالبة بمستحقات الحنطة", "ar",
                 ["protest"])
    later = _sig("ثاني يوم والفلاحين بعدهم معتصمين گدام مبنى محافظة بابل بالحلة، باتوا بالخيم بالبرد", "ar",
                 ["protest"], hours=29, cos=0.93)
    assert later.event is not None and later.event.follow == "d2"
    assert same_story(later, start, CFG) is not None
    # a security alert that lists the sites to avoid is one threat, not a roundup another report cannot join
    alert = _sig("US Embassy Baghdad - Security Alert\nLocation: Baghdad, Iraq\nEvent: militia groups threaten attacks "
                 "against the U.S. Embassy.\nAvoid the International Zone (Green Zone).\nAvoid the Baghdad "
                 "International Airport road.\nActions to take: keep a low profile.", "en", ["threat"])
    assert alert.event is not None and alert.event.advisory == "1" and not alert.digest
    # ... and a rocket on a base it named among those at risk, hours later, is an attack of its own
    rocket = _sig("Rocket impacts inside the perimeter of the Green Zone, sirens heard at the U.S. Embassy, no "
                  "casualties reported", "en", ["attack_claim"], hours=7, cos=0.93)
    assert alert.conflicts(rocket) and rocket.conflicts(alert)


def test_a_sit_in_on_its_second_day_joins_past_the_window() -> None:
    start = _sig("عمال العقود يبدأون اعتصاما أمام شركة نفط البصرة في البرجسية", "ar", ["protest"])
    later = _sig("اليوم الثاني من اعتصام عمال العقود أمام شركة نفط البصرة في البرجسية", "ar", ["protest"],
                 hours=24, cos=0.90)
    assert later.event is not None and later.event.follow == "d2"  # a follow-up, on the sit-in's second day
    assert same_story(start, later, CFG) is not None


def test_a_named_groups_sit_in_continues_where_its_day_two_post_names_no_place() -> None:
    start = _sig("📢 بدأ الاعتصام المفتوح لموظفي العقود والأجور اليومية أمام بوابة وزارة المالية ✊", "ar", ["protest"])
    later = _sig("اليوم الثاني من الاعتصام ✊ نمنا بالخيم والمطر نزل علينا بس ثابتين، عمال العقود", "ar",
                 ["protest"], hours=20, cos=0.95)
    assert start.event is not None and later.event is not None and later.event.follow == "d2"
    assert start.event.actor1 == later.event.actor1 == "Labour Group (Iraq)" and start.event.continues(later.event)
    assert same_story(start, later, CFG) is not None
    assert same_story(start, replace(later, embedding=_emb(0.90)), CFG) is None  # the same-language bar holds
    # "protesters" say nothing of which protest; another group's sit-in is another
    crowd = _sig("اليوم الثاني من الاعتصام ✊ المحتجون نمنا بالخيم", "ar", ["protest"], hours=20, cos=0.95)
    assert crowd.event is not None and not start.event.continues(crowd.event)
    retirees = _sig("اليوم الثاني من اعتصام المتقاعدين ✊ نمنا بالخيم", "ar", ["protest"], hours=20, cos=0.95)
    assert retirees.event is not None and same_story(start, retirees, CFG) is None
    # «يدخل يومه الثاني» marks the follow-up too
    assert _sig("اعتصام عمال الأجور اليومية في كهرباء المثنى يدخل يومه الثاني أمام مبنى المحافظة", "ar",
                ["protest"]).event.follow == "d2"


def test_a_repeat_counted_over_days_is_apart_only_from_earlier_days() -> None:
    text = ("Dozens of daily-wage lecturers protest in Baghdad's Tahrir Square, demanding contracts — the square's "
            "second demonstration in three days, after engineering graduates rallied there on Sunday.")
    sig = _sig(text, "en", ["protest"])
    assert sig.event is not None and sig.event.distinct == "past" and sig.event.day == ""  # Sunday's is the other's
    today = _sig("العشرات من المحاضرين يتظاهرون في ساحة التحرير للمطالبة بتحويلهم إلى عقود", "ar", ["protest"],
                 hours=-1)
    earlier = _sig("خريجو الهندسة يتظاهرون في ساحة التحرير", "ar", ["protest"], hours=-48)
    assert not sets_apart(sig, today) and sets_apart(sig, earlier)
    in_a_day = _sig("Second protest in Basra in 24h: residents of Abu al-Khasib blocked the road to Fao", "en",
                    ["protest"])
    assert in_a_day.event is not None and in_a_day.event.distinct == "past"


def test_past_the_event_window_a_city_named_like_its_governorate_holds_no_town_of_another_district() -> None:
    night = _sig("مسلحون مجهولون يطلقون النار على منزل مواطن في منطقة الجمهورية وسط البصرة على خلفية نزاع عشائري",
                 "ar", ["attack_claim"], hours=-9.9)  # 02:06 in Baghdad
    clash = _sig("نزاع عشائري بناحية الدير بين عشيرتين على قطعة أرض، اشتباكات بالأسلحة المتوسطة من الصبح", "ar",
                 ["attack_claim"], hours=4, cos=0.89)  # 16:00 the same day, past the event window
    assert night.event is not None and clash.event is not None
    assert night.event.place == "basra" and clash.event.place == "al_deir"
    assert night.event._across_districts(clash.event)
    assert same_story(night, clash, CFG) is None
    # within the event window the two may still be one place («شمالي البصرة» is the governorate)
    assert same_story(replace(night, ts=clash.ts - 3600), clash, CFG) is not None


def test_a_post_that_names_the_other_events_place_is_apart_only_from_that_place() -> None:
    separate = _sig("Separate incident from the Sulaiman Bek IED: a roadside bomb hit a logistics truck convoy on "
                    "the Abu Ghraib expressway west of Baghdad, one truck burned.", "en", ["attack_claim"])
    assert separate.event is not None and separate.event.distinct == "at:sulaiman_bek"
    own = _sig("انفجار عبوة ناسفة على طريق أبو غريب السريع استهدف رتلا لشاحنات نقل، واحتراق شاحنة", "ar",
               ["attack_claim"], hours=-0.3)
    other = _sig("انفجار عبوة ناسفة استهدفت عجلة للجيش قرب ناحية سليمان بيك", "ar", ["attack_claim"], hours=-3)
    assert not sets_apart(separate, own) and sets_apart(separate, other)
    # "a second blast on the Abu Ghraib road" names its own place: apart from every earlier report
    second = _sig("انفجار ثاني بطريق ابو غريب بعد الصبح، سواق الشاحنة انصاب", "ar", ["attack_claim"])
    assert second.event is not None and second.event.distinct == "1" and sets_apart(second, own)


def test_a_post_that_names_the_other_events_group_is_apart_only_from_that_groups_reports() -> None:
    ultimatum = _sig("Kata'ib Sayyid al-Shuhada gives Baghdad 30 days to secure a Turkish withdrawal. Note: this is "
                     "a different group from KH, whose Askari issued a separate threat this morning.", "en",
                     ["threat"])
    assert ultimatum.event is not None and ultimatum.event.distinct == "by:Kata'ib Hezbollah"
    own = _sig("كتائب سيد الشهداء تمهل الحكومة ثلاثين يوما لإخراج القوات التركية", "ar", ["threat"], hours=-1)
    other = _sig("أبو علي العسكري يهدد قناة فضائية في بغداد", "ar", ["threat"], hours=-3)
    assert own.event is not None and other.event is not None and other.event.actor1 == "Kata'ib Hezbollah"
    assert not sets_apart(ultimatum, own) and sets_apart(ultimatum, other)
    # a group the registry does not know: apart from every earlier report, as before
    rally = _sig("Now at Tahrir Square: a different group from the crowd that marched to the ministry", "en",
                 ["protest"])
    assert rally.event is not None and rally.event.distinct == "1"


def test_a_claim_of_yesterdays_attack_counted_among_the_weeks_is_not_set_apart_from_it() -> None:
    claim = _sig("Amaq has now claimed yesterday's IED on the army patrol between Rashad and Daquq, south of "
                 "Kirkuk. Third claimed IED in the province this week.", "en", ["attack_claim"])
    assert claim.event is not None and claim.event.distinct == "past" and claim.event.day
    report = _sig("انفجار عبوة ناسفة استهدف دورية للجيش العراقي على الطريق بين الرشاد وداقوق جنوبي كركوك", "ar",
                  ["attack_claim"], hours=-25)
    earlier = _sig("انفجار عبوة ناسفة استهدف دورية للجيش العراقي قرب داقوق", "ar", ["attack_claim"], hours=-60)
    assert not sets_apart(claim, report) and sets_apart(claim, earlier)


def test_what_a_statement_brought_about_follows_it_past_the_window() -> None:
    threat = _sig("بيان صادر عن مضيف عشيرة البو جاسم في قضاء بيجي: نمهل الشركة الأجنبية العاملة في محطة كهرباء بيجي "
                  "٧٢ ساعة لتشغيل أبناء المنطقة وإلا فإن العشيرة غير مسؤولة عما يحدث", "ar", ["threat"])
    halted = _sig("مصادر محلية: الشركة الأجنبية العاملة في محطة كهرباء بيجي أوقفت أعمالها وسحبت كوادرها بعد بيان عشيرة "
                  "البو جاسم الذي أمهلها ٧٢ ساعة", "ar", ["threat"], hours=15, cos=0.95)
    assert halted.event is not None and halted.event.follow == "1"
    assert same_story(threat, halted, CFG) is not None
    # a faction "different from" another is no other event
    other = _sig("Saraya Awliya al-Dam, a different faction from KH, warns Turkey's Zilkan base will be struck", "en",
                 ["threat"])
    assert other.event is not None and not other.event.distinct


def test_dialect_spellings_of_place_names() -> None:
    forms = [f for f in dialect_variants(normalize_for_match("سوق الشيوخ"))]
    assert normalize_for_match("سوك الشيوخ") in forms
    assert dialect_variants("العراق") == ["العراق"]  # one word: «العراك» is "the brawl"
    sig = _sig("شباب سوك الشيوخ كاطعين الطريق الدولي وحارقين تايرات", "ar", ["protest"])
    assert sig.event is not None and sig.event.district == "souq_al_shuyukh"


def test_hours_and_distances_are_measures_that_agree_but_never_conflict() -> None:
    assert numbers(normalize_for_match("after 48 hours without power")) == {MEASURE + 48}
    assert numbers(normalize_for_match("3 rockets hit the base")) == {3}
    power_en = anchors("Basra: protesters stormed the electricity directorate after 48 hours without power")
    power_ar = anchors("محتجون يقتحمون مديرية كهرباء البصرة ويمهلون الحكومة 24 ساعة")
    assert power_en.compare(power_ar) == (False, 1)  # the place agrees; the hours neither agree nor conflict
    ultimatum_ar, ultimatum_en = anchors("مهلة ٧٢ ساعة للشركة"), anchors("a 72h ultimatum to the company")
    assert ultimatum_ar.compare(ultimatum_en) == (False, 1)
    assert anchors("3 rockets").compare(anchors("6 rockets"))[0]  # counts still conflict


def test_dates_hashtags_and_one_way_drones_are_no_counts() -> None:
    assert anchors("[IRQ] 08 NOV — ISIS sniper fire killed a PMF (16th Bde) fighter near Tuz Khurmatu").numbers == set()
    assert anchors("المقاومة الإسلامية في العراق ٦ / تشرين الثاني / ٢٠٢٦ قصفنا القاعدة بـ3 صواريخ").numbers == {3}
    assert anchors("عاجل | هجوم على نقطة للجيش #ديالى_24").numbers == set()
    assert anchors("استشهاد مقاتل بنيران قناص استهدفت ساترا للواء ١٦").numbers == set()
    assert anchors("claims a one-way drone attack; two soldiers wounded").numbers == {2}
    # a channel's name in a source tag is no count; the Arabic dual of a victim is two
    tagged = anchors("الرافدين 24 | مصادر محلية: طائرة مسيرة تركية تستهدف عجلة قرب مخيم مخمور، ما أسفر عن مقتل شخصين")
    assert tagged.numbers == {2}
    assert not tagged.conflicts(anchors("Turkish drone strike hits a vehicle near Makhmour camp, killing two people"))
    assert anchors("الحصيلة قتيلان وجريح").numbers == {2}
    assert anchors("اصابة مدنيين بجروح").numbers == set()  # «مدنيين» is a plural as often as a dual
    assert anchors("ضربتين جويتين على مضافات داعش").numbers == set()  # strikes are no count of victims


def test_hashtag_places_and_foreign_states_beside_iraqi_places() -> None:
    assert "qaim" in anchors("Drone strike on a vehicle near #AlQaim (Anbar)").places
    near_syria = anchors("طائرة مسيرة تستهدف عجلة على الطريق بين القائم والعبيدي قرب الحدود السورية")
    blamed = anchors("Drone strike on a vehicle near #AlQaim (Anbar). No claim; a channel blames US/Israel.")
    assert not near_syria.conflicts(blamed)  # both name al-Qaim: Syria and Israel are a border and a blamed state
    assert anchors("Turkish drone strike in Syria").conflicts(anchors("drone strike in Iran"))


def test_a_threat_is_dated_by_its_post_not_by_the_attack_it_answers() -> None:
    vow = _sig("Asa'ib Ahl al-Haq vows revenge for the PMF fighters killed at Mutaibija on Tuesday: ISIS remnants "
               "in Tarmiyah will pay", "en", ["threat"])
    assert vow.event is not None and vow.event.day == ""
    statement = _sig("عصائب أهل الحق: نعاهد شهداء المطيبيجة بأن دماءهم لن تذهب سدى وبقايا داعش في الطارمية "
                     "سيدفعون الثمن", "ar", ["threat"], hours=0.2, cos=0.88)
    assert same_story(statement, vow, CFG) is not None


def test_a_teachers_strike_has_no_weapon_and_a_rocket_strike_is_a_rocket_attack() -> None:
    strike = extract_event("Sulaymaniyah: contract teachers strike and rally outside the education directorate",
                           ["protest"], T0)
    assert strike is not None and strike.weapon is None
    rockets = extract_event("The faction claims a 3-rocket strike on the Turkish base at Zilikan", ["attack_claim"],
                            T0)
    assert rockets is not None and rockets.weapon == "rocket"
    assert rockets.sub_event_type == "Shelling/artillery/missile attack"
    assert rockets.location is not None and rockets.location.place == "zilkan_base"


def test_no_post_joins_a_story_through_a_roundup() -> None:
    roundup = _sig("ملخص اليوم: • رشقة صواريخ قرب قاعدة فكتوريا دون إصابات • عبوة ناسفة على رتل قرب ناحية سليمان بيك "
                   "• اعتصام الخريجين في ساحة التحرير مستمر • ضربة مسيرة قرب القائم تقتل ثلاثة", "ar",
                   ["attack_claim", "protest"])
    assert roundup.digest
    ied = _sig("عاجل: انفجار عبوة ناسفة استهدفت عجلة للجيش قرب ناحية سليمان بيك واصابة جنديين", "ar",
               ["attack_claim"], hours=1, cos=0.95)
    assert not ied.digest
    assert same_story(ied, roundup, CFG) is None  # not through the roundup
    assert same_story(roundup, ied, CFG) is not None  # the roundup itself may join the IED's story
    assert Signature.from_wire(roundup.to_wire()).digest
    # its repost does join it (a retweet with the handle in front, a forward): the same post, not another event
    text = ("ملخص اليوم: • رشقة صواريخ قرب قاعدة فكتوريا دون إصابات • عبوة ناسفة على رتل قرب ناحية سليمان بيك "
            "• اعتصام الخريجين في ساحة التحرير مستمر • ضربة مسيرة قرب القائم تقتل ثلاثة")
    repost = _sig("RT @baghdad_now: " + text, "ar", ["attack_claim", "protest"], hours=2, cos=0.99)
    assert same_story(repost, roundup, CFG) is not None
    assert same_story(_sig("RT @baghdad_now: " + text, "ar", ["attack_claim", "protest"], hours=2, cos=0.80),
                      roundup, CFG) is None  # (a copy's words, but not its embedding: no repost)


def test_a_report_that_sets_its_event_apart_joins_only_its_own_event() -> None:
    first = _sig("Gunmen threw a hand grenade at the home of Amarah's municipality director this morning, damaging "
                 "the facade", "en", ["attack_claim"])
    second_ar = _sig("عاجل | مجهول يستقل دراجة نارية يلقي قنبلة يدوية على منزل محام في حي الحسين بالعمارة", "ar",
                     ["attack_claim"], hours=20, cos=0.85)
    second_en = _sig("Update from Amarah: a second grenade attack tonight, this time on a lawyer's house in Hay "
                     "al-Hussein. Separate from the earlier one.", "en", ["attack_claim"], hours=21, cos=0.85)
    assert second_en.event is not None and second_en.event.distinct == "1" and not second_ar.event.distinct
    # the same kind at the same place: its own event's report joins it on the event bar...
    assert second_en.event.same_event(second_ar.event) == 2
    assert same_story(second_en, second_ar, CFG) is not None
    # ...but not the earlier grenade it sets apart, which its follow-up's marks ("update") would have joined
    assert same_story(second_en, first, CFG) is None
    unmarked = replace(second_en, event=replace(second_en.event, distinct=""))
    assert same_story(unmarked, first, CFG) is not None
    from monitor.signatures import DISTINCT
    for text in ("Second IED of the day, and a different area", "عبوة ثانية انفجرت على طريق بعقوبة",
                 "لا علاقة لها بالهجوم", "a different crowd from yesterday's retirees"):
        assert DISTINCT.search(normalize_for_match(text)), text
    for text in ("the sit-in enters its second day", "اليوم الثاني للاعتصام", "in a new attack on the base"):
        assert not DISTINCT.search(normalize_for_match(text)), text


def test_a_report_that_sets_apart_an_earlier_days_event_joins_its_own_reports() -> None:
    found = _sig("العثور على منصة صواريخ معدة للاطلاق في منطقة الرضوانية قرب مطار بغداد وتفكيكها", "ar",
                 ["attack_claim"], hours=-20)
    landed = _sig("عاجل | سقوط صاروخ نوع كاتيوشا في أرض زراعية بمحيط مطار بغداد الدولي، دون تسجيل خسائر", "ar",
                  ["attack_claim"])
    report = _sig("A Katyusha rocket landed in farmland near Baghdad International Airport this morning, no "
                  "casualties. Note: this is separate from yesterday's find of an unfired launcher in Radwaniyah.",
                  "en", ["attack_claim"], hours=0.4, cos=0.88)
    assert report.event is not None and report.event.distinct == "past:2026-11-25"  # the day it names
    assert same_story(report, landed, CFG) is not None  # this morning's rocket: its own event
    assert same_story(report, found, CFG) is None  # yesterday's find, which it sets apart
    # a weekday named: apart from that day's reports only, not from its own event's of the day before
    monday = _sig("نزاع عشائري مسلح في ناحية الدير شمال البصرة ومقتل شخص", "ar", ["attack_claim"], hours=-72)
    tuesday = _sig("عشيرة في ناحية الدير تعلن الگوامة على عشيرة اخرى وتمهلها 48 ساعة لتسليم المتهم بالقتل",
                   "ar", ["threat"], hours=-48)
    wednesday = _sig("A tribe in al-Deir, north Basra, has issued a tribal ultimatum to a rival tribe, giving it "
                     "48 hours to hand over a killer. Separate from Monday's clash in al-Deir.", "en", ["threat"],
                     hours=-20, cos=0.9)
    assert wednesday.event is not None and wednesday.event.distinct == "past:2026-11-23"
    assert sets_apart(wednesday, monday) and not sets_apart(wednesday, tuesday)
    # "the second ISIS attack on the PMF this week" sets apart another day's; "a second IED today" not
    assert _sig("Second ISIS attack on PMF posts this week: one fighter killed in Mutaibijah", "en",
                ["attack_claim"]).event.distinct == "past"
    assert _sig("A second IED today, on another road near Abu Ghraib", "en", ["attack_claim"]).event.distinct == "1"


def test_a_threat_retold_without_its_authors_name_joins_across_languages_only() -> None:
    named = _sig("Kata'ib Hezbollah gives US forces until the end of the month to leave Iraq, after which their "
                 "bases are legitimate targets.", "en", ["threat"])
    retold = _sig("الفصائل هددت الامريكان: تطلعون قبل آخر الشهر لو كل قواعدكم هدف", "ar", ["threat"], hours=1,
                  cos=0.87)
    assert named.event is not None and named.event.actor1 == "Kata'ib Hezbollah"
    assert retold.event is not None and not retold.event.actor1 and named.event.unnamed_threat_match(retold.event)
    assert not named.event.same_threat(retold.event)  # the author match has nothing to match
    # (the two give one deadline, which joins them on its own, at the event-record bar: ``same_deadline``)
    assert retold.event.deadline == named.event.deadline == "month_end"
    assert same_story(retold, named, replace(CFG, event_loose_cos=1.01, threat_hours=6.0)) is not None
    retold = replace(retold, event=replace(retold.event, deadline=""))  # this rule alone, from here on
    cfg = replace(CFG, event_loose_cos=0.86, threat_hours=6.0)
    assert same_story(retold, named, cfg) is not None
    assert same_story(retold, named, replace(cfg, event_loose_cos=0.88)) is None  # the bar holds
    later = replace(retold, ts=named.ts + 7 * 3600)
    assert same_story(later, named, cfg) is None  # past threat_hours
    # in one language two groups' threats of one morning look alike: the rule is not asked
    same_lang = replace(retold, lang="en")
    assert same_story(same_lang, named, replace(cfg, same_lang_cos=0.99, same_lang_cos_alone=0.99)) is None
    # two named authors are two threats
    other = _sig("Asaib Ahl al-Haq warns Turkish bases in Iraq will be targeted unless Ankara withdraws.", "en",
                 ["threat"], hours=1)
    assert not named.event.unnamed_threat_match(other.event)


def test_a_clash_with_named_weapons_is_gunfire_not_the_catch_all() -> None:
    clash = _sig("نزاع عشائري بناحية الدير شمال البصرة استخدموا اسلحة متوسطة وقاذفات RPG والرمي مستمر", "ar",
                 ["attack_claim"])
    blast = _sig("عاجل | انفجار عبوة صوتية استهدفت محلا لبيع المشروبات في منطقة العشار وسط البصرة", "ar",
                 ["attack_claim"], hours=-8, cos=0.88)
    assert clash.event is not None and clash.event.sub == "Armed clash, armed"
    assert clash.event.same_event(blast.event) == 0  # gunfire and a blast: two events
    vague = _sig("هجوم على نقطة للجيش في البصرة", "ar", ["attack_claim"])
    assert vague.event is not None and vague.event.sub == "Armed clash"  # nothing named: still compatible


def test_assassinations_grenades_and_governorates_named_by_their_offices() -> None:
    killing = extract_event("مسلحون على دراجة نارية يغتالون مقاولا أمام منزله في الجبيلة وسط البصرة",
                            ["attack_claim"], T0)
    assert killing is not None and killing.sub_event_type == "Attack"
    grenade = extract_event("قبل شوية صوت انفجار بحي العسكري، طلعت رمانة يدوية ذبوها على بيت مدير البلدية",
                            ["attack_claim"], T0)
    assert grenade is not None and grenade.sub_event_type == "Grenade"
    # «كهرباء المثنى», «تربية القادسية»: a governorate the forms name only in context
    assert "muthanna" in anchors("اعتصام عمال الأجور اليومية في كهرباء المثنى يدخل يومه الثاني").places
    assert "qadisiyah" in anchors("المحاضرين متجمعين گدام مديرية تربية القادسية").places
    assert "khor_al_zubair" in anchors("طائرة مسيرة تستهدف منشأة غاز في خور الزبير").places
    assert "sulaymaniyah" in anchors("the teachers' strike in Sulaimani enters its second day").places


def test_one_groups_threat_and_its_translation_join_without_a_place() -> None:
    statement = _sig("بيان المتحدث باسم كتائب حزب الله: نمنح قوات الاحتلال الأمريكي مهلة حتى نهاية الشهر للخروج، "
                     "وإلا فإن قواعدها ستكون أهدافاً مشروعة", "ar", ["threat"])
    translated = _sig("Kata'ib Hezbollah's spokesman gives US forces until the end of the month to leave, saying "
                      "their bases will otherwise be legitimate targets", "en", ["threat"], hours=1, cos=0.86)
    assert statement.event is not None and translated.event is not None
    assert statement.event.sub == translated.event.sub == "Threat" and not statement.event.place
    assert statement.event.same_event(translated.event) == 0  # no place: the place-based rule cannot say one
    assert statement.event.same_threat(translated.event)
    assert same_story(statement, translated, CFG) is not None  # under the cross-language bar (0.90)
    assert same_story(statement, translated, replace(CFG, event_cos=1.01)) is None  # the rule joins them
    # another group's threat the same hour, or the same group's a day later, stays apart
    other = _sig("Harakat al-Nujaba warns US forces their bases will be legitimate targets", "en", ["threat"],
                 hours=1, cos=0.86)
    assert other.event is not None and not statement.event.same_threat(other.event)
    assert same_story(statement, other, CFG) is None
    later = _sig("Kata'ib Hezbollah threatens US forces again, warning their bases will be legitimate targets", "en",
                 ["threat"], hours=30, cos=0.86)
    assert same_story(statement, later, CFG) is None


def test_a_risen_toll_lets_the_new_count_join() -> None:
    first = _sig("Two soldiers were killed when ISIS attacked an army post in Wadi al-Shay southwest of Kirkuk", "en",
                 ["attack_claim"])
    update = _sig("ارتفاع حصيلة الهجوم على نقطة الجيش في وادي الشاي جنوب غربي كركوك إلى ٣ شهداء", "ar",
                  ["attack_claim"], hours=6, cos=0.86)
    later = _sig("ISIS claims the attack on an army post in Wadi al-Shay southwest of Kirkuk that killed three "
                 "soldiers", "en", ["attack_claim"], hours=9, cos=0.90)
    assert first.anchors.numbers == {2} and update.anchors.numbers == {3} == later.anchors.numbers
    assert update.event is not None and update.event.follow == "toll"
    assert not update.conflicts(first)  # the update's own count rose: no conflict
    assert same_story(update, first, CFG) is not None
    # a later report gives the new count without saying it rose: it conflicts with the first count, unless
    # the story already holds the update (StoryIndex passes risen=True then)
    assert later.conflicts(first) and not later.conflicts(first, risen=True)
    assert same_story(later, update, CFG) is not None


def test_an_unplaced_eyewitness_joins_the_report_that_names_the_place() -> None:
    """A dialect witness names no place the gazetteer knows; the wire report an hour earlier names the
    airport. Same kind of attack, hours apart: one event at the unplaced bar, not past its hours, not for
    the catch-all types."""
    wire = _sig("عاجل | سقوط صاروخ كاتيوشا في أرض زراعية بمحيط مطار بغداد الدولي، دون تسجيل خسائر بشرية",
                "ar", ["attack_claim"])
    witness = _sig("اكو صاروخ وگع الصبح بس الحمدلله نزل بأرض زراعية وماكو ضحايا، الله يستر", "ar", ["attack_claim"],
                   hours=1, cos=0.90)
    assert wire.event is not None and witness.event is not None
    assert wire.event.place and not witness.event.place and witness.event.sub == wire.event.sub
    assert witness.event.same_event(wire.event) == 0 and witness.event.unplaced_match(wire.event)
    cfg = replace(CFG, event_unplaced_cos=0.88, unplaced_hours=3.0)
    assert same_story(witness, wire, CFG) is None  # off by default (1.01): under the same-language bars
    assert same_story(witness, wire, cfg) is not None
    late = _sig("اكو صاروخ وگع العصر بس الحمدلله نزل بأرض زراعية وماكو ضحايا، الله يستر", "ar", ["attack_claim"],
                hours=5, cos=0.90)
    assert same_story(late, wire, cfg) is None  # past unplaced_hours
    clash = _sig("صار رمي ومشاكل من الصبح، الله يستر", "ar", ["attack_claim"], hours=1, cos=0.90)
    armed = _sig("اشتباك مسلح في قضاء بلد بين مجهولين والقوات الأمنية", "ar", ["attack_claim"])
    assert clash.event is not None and not clash.event.unplaced_match(armed.event)  # catch-all types: never


def test_counts_of_another_member_need_not_conflict() -> None:
    """StoryIndex checks a post against every member of the story it matched without their counts (a
    threat's aside): «رموه ٤ طلقات» is not "two passers-by wounded". Weekdays, places and weapons still veto."""
    wire = _sig("اغتيال الناشط حسين وإصابة ٢ من المارة بإطلاق نار أمام منزله في الناصرية", "ar", ["attack_claim"])
    witness = _sig("اغتالوا حسين، وگفوا يم باب بيته ورموه ٤ طلقات وانهزموا", "ar", ["attack_claim"], hours=0.2)
    assert wire.anchors.numbers == {2} and witness.anchors.numbers == {4}
    assert witness.conflicts(wire) and not witness.conflicts(wire, counts=False)
    friday = _sig("اغتيال ناشط بإطلاق نار أمام منزله في الناصرية يوم الجمعة", "ar", ["attack_claim"])
    monday = _sig("اغتيال ناشط بإطلاق نار أمام منزله في الناصرية يوم الاثنين", "ar", ["attack_claim"])
    assert friday.conflicts(monday, counts=False)


def _weights(**named: float) -> tuple[float, ...]:
    """Pair-model weights: a bias and the named features' weights, the rest 0."""
    from monitor.signatures import PAIR_FEATURES

    unknown = set(named) - {"bias", *PAIR_FEATURES}
    assert not unknown, unknown
    return (named.get("bias", 0.0), *(named.get(f, 0.0) for f in PAIR_FEATURES))


def test_the_pair_model_joins_what_the_rules_turn_down_and_never_past_a_veto() -> None:
    """A dialect retelling of a sniper attack three hours after the report naming the district: under the
    same-language bars, past unplaced_hours. The pair model weighs what the records share (same kind, one
    unplaced) with the cosine; the vetoes (another district, a post setting its event apart) still hold."""
    from monitor.signatures import PAIR_FEATURES, compare, pair_features, pair_probability

    report = _sig("استشهاد جندي برصاص قناص استهدف سيطرة للجيش في منطقة الحويش ضمن قضاء بلد", "ar", ["attack_claim"])
    retold = _sig("قناص ضرب على السيطرة واستشهد جندي، الله يرحمه ويصبر اهله", "ar", ["attack_claim"], hours=3.1,
                  cos=0.92)
    assert report.event is not None and retold.event is not None and not retold.event.place
    cfg = replace(CFG, event_unplaced_cos=0.88, unplaced_hours=3.0)
    assert same_story(retold, report, cfg) is None
    conflict, agreement = compare(retold, report)
    same = retold.event.same_event(report.event)
    feats = dict(zip(PAIR_FEATURES, pair_features(retold, report, 0.92, agreement, same), strict=True))
    assert not conflict and feats["one_unplaced"] == 1 and feats["same_kind"] == 1 and feats["cross_lang"] == 0
    model = replace(cfg, pair_weights=_weights(bias=-20, cos=10, same_kind=8, one_unplaced=4), pair_bar=0.6)
    assert pair_probability(retold, report, 0.92, agreement, same, model) > 0.6
    assert same_story(retold, report, model) is not None
    assert same_story(retold, report, replace(model, pair_bar=0.99)) is None  # the bar holds
    lower = _sig("قناص ضرب على السيطرة واستشهد جندي، الله يرحمه ويصبر اهله", "ar", ["attack_claim"], hours=3.1,
                 cos=0.80)
    assert same_story(lower, report, model) is None  # under event_cos: never asked
    elsewhere = _sig("قناص ضرب على السيطرة بالزبير واستشهد جندي، الله يرحمه", "ar", ["attack_claim"], hours=3.1,
                     cos=0.92)
    assert elsewhere.conflicts(report) and same_story(elsewhere, report, model) is None  # another district
    late = _sig("قناص ضرب على السيطرة واستشهد جندي، الله يرحمه ويصبر اهله", "ar", ["attack_claim"], hours=13,
                cos=0.92)
    assert same_story(late, report, model) is None  # past the event window


def test_pair_weights_are_read_from_the_model_and_checked() -> None:
    from monitor.signatures import PAIR_FEATURES

    class Model:
        def __init__(self, story: dict) -> None:
            self.thresholds = {"attack_claim": 0.6}
            self.meta = {"story_thresholds": story}

    cfg = MatchConfig.for_classifier(Model({"event_cos": 0.8, "pair_bar": 0.7,
                                            "pair_weights": [0.5] * (len(PAIR_FEATURES) + 1)}))
    assert cfg.pair_weights == (0.5,) * (len(PAIR_FEATURES) + 1) and cfg.pair_bar == 0.7
    with pytest.raises(ValueError, match="pair_weights"):
        MatchConfig.for_classifier(Model({"pair_weights": [0.5, 1.0]}))


def test_the_pair_model_fit_finds_the_separating_feature() -> None:
    """bench.pair_model's logistic fit, returned on raw features: the feature that decides gets the weight."""
    from bench.pair_model import fit

    rng = np.random.default_rng(0)
    x = rng.random((400, 3))
    y = x[:, 1] > 0.5
    w = fit(x, y, l2=0.1)
    assert w[2] > 5 * max(abs(w[1]), abs(w[3]))
    p = 1 / (1 + np.exp(-(w[0] + x @ np.array(w[1:]))))
    assert ((p > 0.5) == y).mean() > 0.95


def test_the_evening_wrap_up_of_the_mornings_blockade_joins_the_same_day_only() -> None:
    """Past the event window, reports of one local day whose records say one event at district level
    (same kind, same place) join at event_cos; the next day the same words are the next blockade."""
    morning = _sig("محتجون من اهالي الشطرة يقطعون طريق الناصرية الشطرة بالاطارات المحترقة", "ar", ["protest"],
                   hours=-7)  # 05:00 in Baghdad
    evening = _sig("Residents of Shatra blocked the Nasiriyah-Shatra road with burning tyres over water cuts",
                   "en", ["protest"], hours=6, cos=0.86)  # 18:00 in Baghdad, 13 hours later
    assert morning.event is not None and morning.event.same_event(evening.event) == 2
    assert same_story(morning, evening, CFG) is not None
    next_day = replace(evening, ts=evening.ts + 12 * 3600)  # 06:00 the next day, 25 hours after
    assert same_story(morning, next_day, CFG) is None


def test_a_post_fits_a_story_only_when_no_member_conflicts() -> None:
    """A match with one member is not enough: a post whose place conflicts with another member's (or that
    shares no label with the story) is kept out, so one story never chains a second event."""
    wire = _sig("انفجار عبوة ناسفة على رتل في الطارمية شمالي بغداد", "ar", ["attack_claim"])
    copy = _sig("عاجل | انفجار عبوة ناسفة على رتل دعم لوجستي في الطارمية", "ar", ["attack_claim"], hours=0.2)
    elsewhere = _sig("سمعنا انفجار عبوة على رتل قرب الراشدية", "ar", ["attack_claim"], hours=0.3)
    post = _sig("IED hits a logistics convoy in Tarmiyah north of Baghdad", "en", ["attack_claim"], hours=0.5)
    assert post.conflicts(elsewhere) and not post.conflicts(wire) and not post.conflicts(copy)
    assert fits_story(post, [wire, copy])
    assert not fits_story(post, [wire, copy, elsewhere])
    protest = _sig("متظاهرون يقطعون طريقا في الطارمية", "ar", ["protest"], hours=0.5)
    assert not fits_story(protest, [wire, copy])  # no label in common


def test_clock_times_streets_and_months_are_no_counts() -> None:
    assert numbers(normalize_for_match("بدأ الإضراب من الساعة ٦ الصبح")) == frozenset()
    assert numbers(normalize_for_match("منشورات بشارع ٤٠ وفي قطاع ٤٠ و٤١")) == frozenset()
    assert numbers(normalize_for_match("at 9 am two rockets, at 22:40 a third")) == frozenset({2})
    assert numbers(normalize_for_match("صار ٣ شهور بلا رواتب")) == frozenset({MEASURE + 3})


def test_a_site_within_a_town_and_the_genitive_of_abu_names() -> None:
    assert anchors("عبوة قرب معسكر التاجي").compare(anchors("انفجار في ناحية التاجي"))[0] is False
    assert anchors("صواريخ على المنطقة الخضراء").compare(anchors("سي رام يرمي بالسفارة الأمريكية"))[0] is False
    assert anchors("قاعدة حرير").compare(anchors("المنطقة الخضراء"))[0]  # still two places
    assert "abu_al_khasib" in anchors("تظاهرة لأهالي قضاء أبي الخصيب").places
    assert "abu_ghraib" in anchors("عبوة في مدينة أبي غريب").places


def test_one_tribes_threat_and_its_translation_join_and_a_capital_joins_no_threat() -> None:
    tribe = _sig("عشيرة من عشائر الفكة طلعت بيان ضد الشركة الصينية: اذا ما يتعينون ولدنا راح نسكر الحقول", "ar",
                 ["threat"])
    report = _sig("Maysan: a tribe near the Fakka fields has given the Chinese operator 10 days to hire its sons "
                  "or it will shut the fields", "en", ["threat"], hours=0.9, cos=0.91)
    assert tribe.event is not None and report.event is not None
    assert tribe.event.actor1 == report.event.actor1 == "Tribesmen (Iraq)"
    assert same_story(tribe, report, CFG) is not None
    # two threats of one morning "in Baghdad": a tribe's ultimatum in Madain and ISIS's planned car bomb
    madain = _sig("عشيرة في قضاء المدائن جنوب شرقي بغداد تمهل شركة ٧٢ ساعة وتهدد باستهداف آلياتها", "ar", ["threat"])
    isis = _sig("مصدر استخباري: مخطط لخلايا داعش لإدخال عجلة مفخخة إلى بغداد لاستهداف المحتفلين", "ar", ["threat"],
                hours=1.5, cos=0.88)
    assert madain.event is not None and madain.event.same_event(isis.event) == 0
    assert same_story(madain, isis, CFG) is None


def test_a_morning_after_report_in_the_capital_needs_a_finer_place() -> None:
    """Past the event window, a follow-up placed only at Baghdad (a city of many districts) does not join
    yesterday's event of another neighbourhood; «لفض الاشتباك» (to break up the clash) is no follow-up."""
    dora = _sig("مقتل صاحب محل تجاري بهجوم مسلح نفذه مجهولون في منطقة الدورة جنوبي بغداد", "ar", ["attack_claim"],
                hours=-22)
    clash = _sig("مقتل شخصين بنزاع عشائري مسلح شمال شرقي بغداد وقوات الجيش تتوجه الى المكان لفض الاشتباك", "ar",
                 ["attack_claim"], cos=0.95)
    assert clash.event is not None and not clash.event.follow and clash.event.in_capital()
    follow = replace(clash, event=replace(clash.event, follow="1"))
    assert same_story(follow, dora, CFG) is None


def test_two_protests_at_two_institutions_of_one_city_stay_apart() -> None:
    farmers = _sig("اعتصم العشرات من الفلاحين أمام مبنى مديرية الموارد المائية في الكوت احتجاجا على تقليص الحصص",
                   "ar", ["protest"])
    lecturers = _sig("Unpaid lecturers protest outside the education directorate in Kut", "en", ["protest"], hours=2,
                     cos=0.93)
    retold = _sig("Wasit farmers hold a sit-in outside the water resources directorate in Kut", "en", ["protest"],
                  hours=2, cos=0.93)
    assert farmers.event is not None and farmers.event.site == "water resources directorate"
    assert lecturers.event is not None and lecturers.event.site == "education directorate"
    assert same_story(farmers, lecturers, CFG) is None
    assert same_story(farmers, retold, CFG) is not None
    # a protest that names no institution stays compatible with either
    plain = _sig("Farmers protest in Kut over water quotas", "en", ["protest"], hours=1, cos=0.93)
    assert plain.event is not None and not plain.event.site and same_story(farmers, plain, CFG) is not None


def test_two_threats_related_only_through_a_governorate_named_like_its_city_are_not_one() -> None:
    tribe = _sig("عشيرة في ناحية الدير تمهل عشيرة أخرى ثلاثة أيام لتسليم المطلوبين وإلا ستستهدف بيوتهم", "ar",
                 ["threat"])
    oil = _sig("بيان لجهة مجهولة يهدد الشركات النفطية الأجنبية العاملة في البصرة ويمهلها شهرا للمغادرة", "ar",
               ["threat"], hours=6, cos=0.9)
    assert tribe.event is not None and oil.event is not None
    assert tribe.event.district == "qurna" and oil.event.place == "basra"
    assert tribe.event.same_event(oil.event) == 0
    # an attack there keeps the city read as compatible with a place of the governorate
    clash = _sig("اشتباك عشائري مسلح في ناحية الدير شمالي البصرة", "ar", ["attack_claim"])
    report = _sig("اشتباك مسلح بين عشيرتين شمالي البصرة", "ar", ["attack_claim"], hours=1, cos=0.9)
    assert clash.event is not None and report.event is not None and clash.event.same_event(report.event) > 0


WIRE_IED = "عاجل | انفجار عبوة ناسفة على رتل للجيش قرب ناحية عين التمر غربي كربلاء"
EYEWITNESS = "الله يستر، سمعنا صوت انفجار كلش قوي من الصبح وسيارات الإسعاف رايحة بسرعة"


def test_a_near_miss_is_close_to_a_placed_report_with_nothing_saying_two_events() -> None:
    """An eyewitness naming no place comes close to the wire report of the blast (no rule joins them: the
    record has no place to agree on); not past the hours, not before it, not to a report without a place,
    not with another label or a place of its own elsewhere; a threat alone needs its own, higher bar."""
    cfg = replace(CFG, hold_near_cos=0.80, hold_near_threat_cos=0.90, hold_near_hours=6.0)
    wire = _sig(WIRE_IED, "ar", ["attack_claim"])
    witness = _sig(EYEWITNESS, "ar", ["attack_claim"], hours=0.5, cos=0.82)
    assert same_story(witness, wire, cfg) is None and near_miss(witness, wire, cfg, 0.82)
    assert not near_miss(witness, wire, replace(cfg, hold_near_cos=1.01), 0.82)  # off (the default)
    assert not near_miss(witness, wire, cfg, 0.78)
    late = _sig(EYEWITNESS, "ar", ["attack_claim"], hours=7, cos=0.82)
    assert not near_miss(late, wire, cfg, 0.82)
    assert not near_miss(wire, witness, cfg, 0.82)  # the earlier post is never held back by a later one
    assert not near_miss(_sig(EYEWITNESS, "ar", ["protest"], hours=0.5), wire, cfg, 0.82)
    unplaced = _sig(EYEWITNESS, "ar", ["attack_claim"])
    assert not near_miss(witness, unplaced, cfg, 0.82)  # a placeless story is close to everything
    elsewhere = _sig("انفجار عبوة ناسفة على رتل للجيش في قضاء تلعفر", "ar", ["attack_claim"], hours=0.5)
    assert not near_miss(elsewhere, wire, cfg, 0.85)  # another district: another blast
    call = _sig("عصائب أهل الحق تتوعد القوات الأمريكية في كربلاء بالرد", "ar", ["threat"])
    vow = _sig("جماعة مسلحة تتوعد برد قاس", "ar", ["threat"], hours=1)
    assert not near_miss(vow, call, cfg, 0.85) and near_miss(vow, call, cfg, 0.91)
    # ... and within threat_hours, however long the others' window
    late_vow = _sig("جماعة مسلحة تتوعد برد قاس", "ar", ["threat"], hours=7)
    assert not near_miss(late_vow, call, replace(cfg, hold_near_hours=12.0, threat_hours=6.0), 0.95)
    assert near_miss(late, wire, replace(cfg, hold_near_hours=12.0), 0.82)
    # a follow-up that refers back to its event looks back the whole story window
    second_day = _sig("لليوم الثاني، الدخان بعده طالع من مكان الانفجار", "ar", ["attack_claim"], hours=20)
    assert second_day.event is not None and second_day.event.follow
    assert near_miss(second_day, wire, cfg, 0.82) and not near_miss(
        second_day, wire, replace(cfg, window_hours=12.0), 0.82)


def test_threat_deadlines() -> None:
    def deadline(text: str) -> str:
        return threat_deadline(normalize_for_match(text))

    assert deadline("الكتائب عطت الأمريكان مهلة لآخر الشهر الجاي") == "month_end"
    assert deadline("given US forces until the end of the month to leave") == "month_end"
    assert deadline("مهلة ٧٢ ساعة للاعتذار") == deadline("a 72-hour ultimatum") == "h72"
    assert deadline("خلال عشرة أيام") == deadline("10 days to hire its young men") == "h240"
    assert deadline("يا تشغلون ولدنا خلال يومين") == deadline("gave the company two days to") == "h48"
    assert deadline("gave them a week to leave") == deadline("مهلة اسبوع") == "h168"
    # counts in words, the accusative unit: «خلال ثلاثين يوماً», "a thirty-day ultimatum"
    assert deadline("ما لم تنه تعاقداتها خلال ثلاثين يوماً") == deadline("a thirty-day ultimatum") == "h720"
    assert deadline("مهلة خمسة عشر يوماً") == "h360"
    assert deadline("نمهل قوات الاحتلال مدة (٧٢) ساعة لإعلان جدول زمني") == "h72"
    # a time gone by, or the length of something else, is no deadline
    assert deadline("two days after the strike") == deadline("منذ ثلاثة أيام") == ""
    assert deadline("منذ ثلاثين يوماً") == ""
    assert deadline("a sit-in for 3 days") == deadline("ceasefire a day ago") == ""


def test_one_ultimatum_retold_in_one_language_joins_on_its_deadline() -> None:
    statement = _sig("عشيرة من عشائر الفكة طلعت بيان ضد الشركة الصينية: اذا ما يتعينون ولدنا خلال عشرة أيام نسد "
                     "الحقل بالقوة وأي عجلة للشركة تعتبر هدف", "ar", ["threat"])
    retold = _sig("عشيرة بالفكة هددت الشركة الصينية: عشرة أيام وتشغلون ولدنا لو نسد الحقل", "ar", ["threat"],
                  hours=1, cos=0.85)
    assert statement.event is not None and retold.event is not None
    assert statement.event.deadline == retold.event.deadline == "h240"
    cfg = replace(CFG, event_cos=0.78, threat_hours=6.0, same_lang_cos_alone=0.96)
    assert same_story(retold, statement, cfg) is not None
    # another deadline, or past threat_hours, or under the event-record bar: apart
    other = replace(retold, event=replace(retold.event, deadline="h48"))
    assert same_story(other, statement, cfg) is None
    assert same_story(replace(retold, ts=statement.ts + 7 * 3600), statement, cfg) is None
    assert same_story(retold, statement, replace(cfg, event_cos=0.9)) is None
    # retold the next day (a forward «نذكّر: المهلة تنتهي ...»): past the event window, at the close bar
    assert same_story(replace(retold, ts=statement.ts + 23 * 3600), statement, cfg) is None  # 0.85
    assert same_story(replace(retold, ts=statement.ts + 23 * 3600), statement, replace(cfg, event_loose_cos=0.84))
    assert same_story(replace(other, ts=statement.ts + 23 * 3600), statement,
                      replace(cfg, event_loose_cos=0.84)) is None
    # two named perpetrators with one deadline are two threats
    kh = replace(statement, event=replace(statement.event, actor1="Kata'ib Hezbollah"))
    nujaba = replace(retold, event=replace(retold.event, actor1="Harakat al-Nujaba"))
    assert same_story(nujaba, kh, cfg) is None


def test_a_threat_and_an_attack_are_one_event_only_where_the_threat_answers_it() -> None:
    ultimatum = _sig("بيان منسوب لسرايا السلام في ذي قار يحذر مكتب حركة امتداد في الناصرية بإزالة الإساءات خلال 24 "
                     "ساعة، وإلا يتحملون المسؤولية. ولم يصدر تعليق من الحركة حتى الآن", "ar", ["threat"])
    ied = _sig("انفجار عبوة ناسفة على شاحنة على الطريق الدولي قرب الناصرية", "ar", ["attack_claim"], hours=-2,
               cos=0.9)
    assert ultimatum.event is not None and ultimatum.event.sub == "Threat"
    assert not ultimatum.event.follow  # «لم يصدر تعليق» is "no comment", not a suspended strike
    assert ultimatum.event.same_event(ied.event) == 0
    revenge = _sig("فصيل مسلح يتوعد بالثأر لدماء ضحايا التفجير الذي استهدف الشاحنة قرب الناصرية", "ar", ["threat"],
                   hours=1, cos=0.9)
    assert revenge.event is not None and revenge.event.follow
    assert revenge.event.same_event(ied.event) == 1


def test_yesterdays_follow_up_and_todays_clash_in_one_district_are_two_events() -> None:
    follow = _sig("قيادة شرطة ذي قار: تشكيل فريق تحقيقي بشأن انفجار العبوة التي استهدفت شاحنة في ناحية البطحاء "
                  "صباح أمس", "ar", ["attack_claim"])
    clash = _sig("عركة عشاير هسه بناحية الإصلاح، يگولون اكو قتيل وجرحى", "ar", ["attack_claim"], hours=8, cos=0.89)
    assert follow.event is not None and clash.event is not None and follow.event.day
    assert follow.event.district == clash.event.district == "nasiriyah"
    assert same_story(clash, follow, replace(CFG, event_loose_cos=0.86, event_cos=0.84)) is None


def test_dialect_medium_weapons_arm_a_clash() -> None:
    for text in ("عركة عشاير بناحية الإصلاح، رمي متوسط وقاذفات من الطرفين",
                 "Tribal clash in Al-Qurna district, PKM fire reported between two clans"):
        event = extract_event(text, ["attack_claim"], T0)
        assert event is not None and event.weapon == "small arms"


def test_a_channel_signature_is_no_count() -> None:
    assert numbers(normalize_for_match("مجهولون يلقون قنبلة يدوية على مقر حركة 📡 أخبار ذي قار 24")) == frozenset()
    assert numbers(normalize_for_match("سقوط 3 صواريخ 🚀 الضحايا 2")) == frozenset({2, 3})


def test_one_governorates_roundup_is_a_digest() -> None:
    roundup = _sig("📋 حصاد ذي قار ليوم الإثنين\n1️⃣ ارتفاع حصيلة النزاع العشائري في ناحية الإصلاح إلى قتيلين.\n"
                   "2️⃣ قطع أهالي قرى الغراف طريق الشطرة بالإطارات المحترقة لست ساعات احتجاجاً على انقطاع الكهرباء.\n"
                   "3️⃣ تظاهر المئات من موظفي العقود في ساحة الحبوبي للمطالبة بالتثبيت على الملاك الدائم.\n"
                   "4️⃣ مديرية الزراعة توزع البذور على فلاحي سوق الشيوخ ضمن الخطة الشتوية للموسم الحالي.",
                   "ar", ["attack_claim", "protest"])
    assert roundup.digest
    report = _sig("🔹 بيان | انفجرت عبوة ناسفة على شاحنة مدنية على الطريق الدولي ضمن قاطع ناحية البطحاء، ونقل "
                  "السائق إلى مستشفى الناصرية.\n🔹 القوات الأمنية فرضت طوقاً على المنطقة وباشرت التحقيق في الناصرية.\n"
                  "🔹 لا إصابات أخرى بحسب المصدر، والطريق أعيد فتحه بعد ساعتين من الانفجار.", "ar", ["attack_claim"])
    assert not report.digest  # one event's bulletin: its items name no new place


def test_the_air_strikes_that_answer_an_isis_attack_hours_later_are_an_event_of_their_own() -> None:
    ambush = _sig("هجوم لعناصر داعش على نقطة للحشد الشعبي في وادي حوران جنوب غربي الرطبة واشتباكات مع المهاجمين", "ar",
                  ["attack_claim"])
    strikes = _sig("خلية الإعلام الأمني: طائرات F-16 العراقية نفذت ضربتين جويتين استهدفتا وكرين لعصابات داعش في وادي "
                   "حوران", "ar", ["attack_claim"], hours=8, cos=0.95)
    assert ambush.event is not None and strikes.event is not None
    assert ambush.event.actor1 == "Islamic State (ISIS)" and strikes.event.sub == "Air/drone strike"
    assert strikes.event.strikes_back_at(ambush.event)
    assert same_story(strikes, ambush, CFG) is None
    # within hours, the security cell's statement tells the attack and the air support as one
    assert same_story(replace(strikes, ts=ambush.ts + 3600), ambush, CFG) is not None
    # a sweep for the attackers with air support refers back to the attack
    sweep = replace(strikes, event=replace(strikes.event, follow="1"))
    assert not sweep.event.strikes_back_at(ambush.event)


def test_a_post_dated_to_its_own_day_dates_nothing_back() -> None:
    night = _sig("الليلة السي رام اشتغلت بعين الأسد وطاحت المسيرة بالصحرة", "ar", ["attack_claim"], hours=-11.7)
    evening = _sig("استهداف جديد لقاعدة عين الأسد بطائرة مسيرة مساء اليوم الخميس، وشهود عيان يتحدثون عن انفجار قوي",
                   "ar", ["attack_claim"], hours=9, cos=0.9)  # 00:18 and 21:00 the same day in Baghdad
    assert night.event is not None and evening.event is not None
    assert evening.event.day == "2026-11-26" and not night.event.day
    assert not follows_up(evening, night)  # "this evening, Thursday" moves nothing back
    assert same_story(evening, night, CFG) is None  # and the night's undated report may be of Wednesday


def test_an_embassys_security_alert_is_not_the_threat_it_warns_of() -> None:
    ultimatum = _sig("إلى سفارة الشر الأمريكية في بغداد: نمنحكم مهلة ثمانٍ وأربعين ساعة لإخراج الخبراء، بعدها كل "
                     "منشآتكم أهداف مشروعة", "ar", ["threat"])
    alert = _sig("US Embassy Baghdad security alert: militia groups have publicly threatened attacks on US facilities. "
                 "US citizens should avoid the airport road.", "en", ["threat"], hours=2, cos=0.9)
    retold = _sig("السفارة الامريكية طالعة تحذير لجماعتها، يگولون الفصائل هددت تضرب منشآتهم", "ar", ["threat"],
                  hours=3, cos=0.9)
    assert ultimatum.event is not None and alert.event is not None and retold.event is not None
    assert ultimatum.event.deadline == "h48" and not ultimatum.event.advisory
    assert alert.event.advisory == retold.event.advisory == "1"
    assert ultimatum.conflicts(alert) and not alert.conflicts(retold)  # (``compare``)
    assert same_story(alert, ultimatum, CFG) is None
    # a faction that warns the embassy is no mission's alert
    assert not is_advisory(normalize_for_match("KH warns the US embassy: leave or be targeted"))
    assert not is_advisory(normalize_for_match("the channel behind the US Embassy ultimatum now warns Turkish troops"))
    # a faction's statement answering the alert is the faction's threat, not the alert
    assert not is_advisory(normalize_for_match(
        "بيان صادر عن فصيل الحق: رداً على ما يسمى «التنبيه الأمني» للسفارة الأمريكية لرعاياها، نقول إن السفارة هدف"))
    assert not is_advisory(normalize_for_match(
        "A faction responded to the US embassy's security alert for citizens, calling the embassy a target"))
    assert is_advisory(normalize_for_match("السفارة الأمريكية تصدر تنبيهاً أمنياً لرعاياها في بغداد"))


def test_a_grenade_and_an_ied_are_two_weapons() -> None:
    ied = _sig("عاجل | انفجار عبوة ناسفة استهدف رتلاً للدعم اللوجستي على الطريق السريع في الديوانية", "ar",
               ["attack_claim"])
    grenade = _sig("عاجل | انفجار رمانة يدوية على محل لبيع المشروبات الكحولية وسط الديوانية", "ar", ["attack_claim"],
                   hours=3, cos=0.95)
    assert ied.anchors.weapons == {"ied"} and grenade.anchors.weapons == {"grenade"}
    assert anchors("hand grenade thrown at a liquor store").weapons == {"grenade"}
    assert same_story(ied, grenade, CFG) is None
    again = _sig("الديوانية: مجهولون يلقون قنبلة يدوية على محل لبيع الخمور", "ar", ["attack_claim"], hours=3.5,
                 cos=0.95)
    assert same_story(grenade, again, CFG) is not None


def test_a_follow_up_header_and_a_junction_name_a_follow_up_and_a_district() -> None:
    statement = _sig("بيان عشائري: عشيرة آل فرهود في النعمانية تمهل البو جاسم ٤٨ ساعة لتسليم القاتل", "ar", ["threat"])
    mediation = _sig("🔶 متابعة | تدخل شيوخ واسط في نزاع آل فرهود والبو جاسم بالنعمانية ونجاح الوساطة بهدنة اسبوع",
                     "ar", ["threat"], hours=21, cos=0.95)
    assert mediation.event is not None and mediation.event.follow == "1"
    assert statement.event is not None and not statement.event.follow
    assert same_story(statement, mediation, CFG) is not None
    assert "afak" in bare_districts(normalize_for_match("عبوة ناسفة قرب تقاطع عفك – البدير شرق الديوانية"))


def test_an_embassy_urging_its_pilgrims_is_a_missions_alert() -> None:
    assert is_advisory(normalize_for_match(
        "Pakistan's embassy in Baghdad urges Pakistani pilgrims to travel only in organised convoys after "
        "'credible information' about a possible attack on pilgrim buses"))
    assert not is_advisory(normalize_for_match("ISIS leaflets threaten pilgrims on the Kut road"))


def test_one_ultimatum_retold_hours_later_joins_on_its_deadline_at_the_loose_bar() -> None:
    statement = _sig("فصيل يطلق على نفسه كتائب درع الجنوب يمهل الشركة الأمريكية في حقل الأحدب عشرة أيام للمغادرة",
                     "ar", ["threat"])
    later = _sig("A little-known faction has given a US oilfield services firm at al-Ahdab 10 days to leave",
                 "en", ["threat"], hours=9.5, cos=0.92)
    assert statement.event is not None and later.event is not None
    assert statement.event.deadline == later.event.deadline == "h240"
    cfg = replace(CFG, event_cos=0.78, event_loose_cos=0.86, threat_hours=6.0)
    assert same_story(statement, later, cfg) is not None
    assert same_story(statement, replace(later, embedding=_emb(0.84)), cfg) is None  # under the loose bar
    # past the event window, still at the loose bar (a retelling the next day); past the story window, apart
    assert same_story(statement, replace(later, ts=statement.ts + 13 * 3600), cfg) is not None
    assert same_story(statement, replace(later, ts=statement.ts + 49 * 3600), cfg) is None


def test_contract_workers_and_teachers_protests_are_two_events() -> None:
    sit_in = _sig("الكوت | بدء اعتصام العشرات من العاملين بصفة عقود وأجور يومية أمام مديرية الكهرباء", "ar",
                  ["protest"])
    strike = _sig("Kut teachers' strike: a teacher's son on the first strike day, his mum stayed home", "en",
                  ["protest"], hours=5, cos=0.80)
    assert sit_in.event is not None and strike.event is not None
    assert sit_in.event.actor1 == "Labour Group (Iraq)" and strike.event.actor1 == "Teachers (Iraq)"
    assert sit_in.event.same_event(strike.event) == 0  # (one town, one kind: 2 if either were "protesters")
    assert sit_in.event.same_event(replace(strike.event, actor1="Protesters (Iraq)")) == 2


def test_a_missions_alert_flagged_as_an_attack_is_still_not_the_factions_threat() -> None:
    """The embassy's alert lists the attacks it warns of ("rocket, drone or IED attacks") and the classifier
    flags it as a claim too, so its record is an attack's; the faction's statement also claims a past strike.
    Two posts flagged as threats, one a mission's alert and the other not, are two events whatever the
    records' types."""
    statement = _sig("كتائب حزب الله: نفذنا ضربة بالطائرات المسيرة على قاعدة عين الأسد، والقادم أعظم إن لم "
                     "يخرج المحتل", "ar", ["threat", "attack_claim"])
    alert = _sig("Security Alert - U.S. Embassy Baghdad: militia groups have threatened rocket, drone and IED "
                 "attacks on Ain al-Asad and US facilities. US citizens should avoid the area.", "en",
                 ["threat", "attack_claim"], hours=5, cos=0.9)
    assert statement.event is not None and alert.event is not None
    assert alert.event.sub != "Threat" and alert.event.advisory == "1" and not statement.event.advisory
    assert same_story(alert, statement, CFG) is None
    retold = _sig("السفارة الأمريكية تصدر تحذيراً أمنياً لرعاياها بعد تهديدات الفصائل بضرب عين الأسد", "ar",
                  ["threat"], hours=5.5, cos=0.9)
    assert not alert.conflicts(retold)


def test_a_bare_explosion_is_no_abduction() -> None:
    towers = _sig("عناصر داعش يفجرون برجين لنقل الطاقة قرب ناحية العظيم", "ar", ["attack_claim"])
    shepherd = _sig("عناصر داعش يختطفون راعي أغنام في ناحية العظيم ويقتلونه", "ar", ["attack_claim"], hours=4,
                    cos=0.92)
    assert towers.event is not None and shepherd.event is not None
    assert towers.event.sub == "Explosion" and shepherd.event.sub == "Abduction/forced disappearance"
    assert towers.event.same_event(shepherd.event) == 0
    key = EventKey("violence", "Explosion", "udhaim", "khalis", "diyala", "iraq")
    assert key.same_event(replace(key, sub="Abduction/forced disappearance")) == 0
    assert key.same_event(replace(key, sub="Remote explosive/landmine/IED")) == 1  # a bare blast may be the IED


def test_two_protests_related_only_through_a_governorate_named_like_its_city_are_not_one_event() -> None:
    city = EventKey("unrest", "Peaceful protest", "basra", "basra_district", "basra", "iraq")
    town = EventKey("unrest", "Violent demonstration", "khor_al_zubair", "zubair", "basra", "iraq")
    assert city.place_relation(town) == 1 and city.same_event(town) == 0
    # attacks keep the reading: «شمالي البصرة» may be the governorate's north
    assert replace(city, family="violence", sub="Attack").same_event(replace(town, family="violence", sub="Attack"))


def test_the_pair_model_is_not_asked_of_two_placeless_posts_or_of_places_apart() -> None:
    from monitor.signatures import pair_askable

    strike = _sig("المحامين باچر مضربين يكولون، المحاكم راح تعطل", "ar", ["protest"])
    tent = _sig("رمانة انرمت على خيمة الاعتصام بعد نص الليل، اثنين من المعتصمين انصابوا", "ar",
                ["protest", "attack_claim"], hours=3, cos=0.86)
    assert strike.event is not None and tent.event is not None and not strike.event.place and not tent.event.place
    assert not pair_askable(tent, strike)
    here = _sig("عبوة ناسفة تستهدف رتلاً قرب ناحية البطحاء في ذي قار", "ar", ["attack_claim"])
    there = _sig("عبوة ناسفة تستهدف رتلاً في قضاء الزبير غرب البصرة", "ar", ["attack_claim"], hours=1, cos=0.9)
    assert here.event is not None and there.event is not None and here.event.place_relation(there.event) < 0
    assert not pair_askable(there, here)
    unplaced = _sig("عبوة ضربت الرتل الصبح وحرگت شاحنة", "ar", ["attack_claim"], hours=1, cos=0.9)
    assert pair_askable(unplaced, here)  # one placed: the model may still join the eyewitness


def test_a_post_dated_to_another_day_is_no_near_miss() -> None:
    cfg = replace(CFG, hold_near_cos=0.80, hold_near_threat_cos=0.90, hold_near_hours=12.0)
    wire = _sig(WIRE_IED, "ar", ["attack_claim"])
    witness = _sig(EYEWITNESS, "ar", ["attack_claim"], hours=0.5, cos=0.82)
    assert near_miss(witness, wire, cfg, 0.82)
    before = _sig("الله يستر، سمعنا صوت انفجار كلش قوي مساء امس", "ar", ["attack_claim"], hours=0.5,
                  cos=0.82)
    assert before.event is not None and before.event.day == "2026-11-25"  # yesterday, not today
    assert not near_miss(before, wire, cfg, 0.82)


def test_a_dialect_grenade_is_a_grenade() -> None:
    assert anchors("واحد راكب ماطور ذب رمانة على محل مشروبات").weapons == {"grenade"}
    assert anchors("انفجار عبوة صوتية امام مقر الحزب").weapons == {"ied"}



def test_two_named_groups_protesting_are_no_near_miss_of_each_other() -> None:
    cfg = replace(CFG, hold_near_cos=0.80, hold_near_threat_cos=0.90, hold_near_hours=6.0)
    teachers = _sig("Hundreds of teachers rallied outside the Basra education directorate over unpaid salaries",
                    "en", ["protest"])
    drivers = _sig("Truck drivers parked their lorries in central Basra this morning in protest at new fees",
                   "en", ["protest"], hours=1, cos=0.85)
    assert teachers.event is not None and teachers.event.actor1 == "Teachers (Iraq)"
    assert drivers.event is not None and drivers.event.actor1 == "Truck Drivers (Iraq)"
    # (``near_miss`` is asked of what ``same_story`` turned down; actors never veto a match, so here it is
    # asked directly)
    assert not near_miss(drivers, teachers, cfg, 0.85)  # truck drivers are not teachers: their own alert
    # the same report with no group named may be one more of the teachers': held
    unnamed = replace(drivers, event=replace(drivers.event, actor1="Protesters (Iraq)"))
    assert near_miss(unnamed, teachers, cfg, 0.85)


def test_a_tribes_ultimatum_the_day_after_the_clash_is_an_event_of_its_own() -> None:
    clash = _sig("نزاع عشائري مسلح بين عشيرتين في ناحية الدير شمالي البصرة بالاسلحة المتوسطة واصابة اثنين", "ar",
                 ["attack_claim"])
    ultimatum = _sig("بيان عشائري: تمهل عشيرة في ناحية الدير خصومها مدة ٧٢ ساعة لتسليم المتهمين باطلاق النار الذي "
                     "اصيب فيه اثنان من ابنائها مساء امس، وكل ما يترتب بعد انتهاء المهلة يتحمله الطرف الاخر", "ar",
                     ["threat"], hours=16, cos=0.90)
    assert ultimatum.event is not None and ultimatum.event.sub == "Threat"
    assert ultimatum.event.same_event(clash.event)  # one place, one tribe: the records alone would join them
    assert same_story(ultimatum, clash, CFG) is None
    # the morning-after report of the clash itself still joins
    follow = _sig("ارتفاع حصيلة النزاع العشائري في ناحية الدير مساء امس الى قتيل وثلاثة جرحى", "ar", ["attack_claim"],
                  hours=16, cos=0.90)
    assert same_story(follow, clash, CFG) is not None


def test_an_open_ended_sit_in_that_begins_is_no_follow_up() -> None:
    begins = _sig("Contract staff began an open-ended sit-in outside the Maysan Oil Company HQ in Amarah this morning",
                  "en", ["protest"])
    assert begins.event is not None and not begins.event.follow
    ended = _sig("The sit-in outside the Maysan Oil Company HQ in Amarah ended this evening after a meeting", "en",
                 ["protest"])
    assert ended.event is not None and ended.event.follow


def test_two_kinds_of_attack_are_no_near_miss_of_each_other() -> None:
    """A tribal gunfight that names no place comes close to the morning's IED report (both attacks, a high
    cosine), but a shooting is not a blast: it is no near miss, and opens its own alert."""
    cfg = replace(CFG, hold_near_cos=0.80, hold_near_threat_cos=0.90, hold_near_hours=12.0)
    ied = _sig(WIRE_IED, "ar", ["attack_claim"])
    gunfight = _sig("Heavy gunfire between two tribes over farmland this afternoon, medium weapons and RPGs used",
                    "en", ["attack_claim"], hours=3, cos=0.84)
    # (a fight between two tribes: an armed clash with both sides armed, not the catch-all)
    assert gunfight.event is not None and gunfight.event.sub == "Armed clash, armed"
    assert same_story(gunfight, ied, cfg) is None and not near_miss(gunfight, ied, cfg, 0.84)
    witness = _sig(EYEWITNESS, "ar", ["attack_claim"], hours=0.5, cos=0.82)  # a bare blast stays close
    assert near_miss(witness, ied, cfg, 0.82)


def test_a_second_attack_at_another_site_of_the_district_is_another_event() -> None:
    """«قنبلة يدوية ثانية» ("a second hand grenade", a word between the incident and its ordinal) and "a second
    liquor shop hit" set a post apart; set apart and placed at another named site of the same district (a
    street in Zayouna, Karrada), it is another event however alike the words."""
    first = _sig("عاجل | مجهولون يلقون قنبلة يدوية على محل لبيع المشروبات الكحولية في منطقة الكرادة", "ar",
                 ["attack_claim"])
    second = _sig("عاجل | بعد أقل من ساعة على حادثة الكرادة، قنبلة يدوية ثانية تستهدف محلاً لبيع المشروبات "
                  "الكحولية في شارع الربيعي بمنطقة زيونة", "ar", ["attack_claim"], hours=0.7, cos=0.97)
    assert second.event is not None and second.event.distinct and second.event.place == "rubaie_street"
    assert same_story(second, first, CFG) is None
    english = _sig("Just in: a second liquor shop hit with a grenade tonight, this time on al-Rubaie Street in "
                   "Zayouna, 40 minutes after the Karrada attack", "en", ["attack_claim"], hours=0.8, cos=0.92)
    assert english.event is not None and english.event.distinct
    assert same_story(english, first, CFG) is None and same_story(english, second, CFG) is not None


def test_two_threats_to_two_sites_of_one_district_are_two_threats() -> None:
    """A threat's place is its target's: one faction's threat to Victory base and another's to the US
    embassy (both in Karkh) on one day are two threats, however alike their words."""
    base = _sig("فصيل مجهول يتوعد قاعدة فكتوريا في بغداد ويعتبرها هدفاً مشروعاً لمجاهديه", "ar", ["threat"])
    embassy = _sig("فصيل مجهول يتوعد السفارة الأمريكية في بغداد ويعتبرها هدفاً مشروعاً لمجاهديه", "ar", ["threat"],
                   hours=3, cos=0.97)
    assert base.event is not None and embassy.event is not None
    assert base.event.place != embassy.event.place and base.event.district == embassy.event.district
    assert same_story(embassy, base, CFG) is None
    # (the records decide even where the texts' places do not conflict: a reply that names the alert's
    # sites «المنطقة الخضراء» and «مطار بغداد» beside the embassy)
    assert same_story(replace(embassy, anchors=base.anchors), base, CFG) is None


def test_two_sites_of_one_district_struck_with_two_weapons_are_two_events() -> None:
    rockets = EventKey("violence", "Shelling/artillery/missile attack", "erbil_airport", "erbil_district", "erbil",
                       "iraq")
    drone = EventKey("violence", "Air/drone strike", "khurmala", "erbil_district", "erbil", "iraq")
    assert rockets.same_event(drone) == 0
    assert rockets.same_event(replace(drone, sub=rockets.sub)) == 2  # one weapon: one district's event
    assert rockets.same_event(replace(drone, place="erbil_district")) == 2  # the district holds the airport


def test_a_place_named_only_as_a_reference_point_is_not_where_the_event_is() -> None:
    """«قضاء الرفاعي شمال الناصرية»: Nasiriyah says where al-Rifai lies. A blockade there conflicts with a
    rally in Nasiriyah's square (two districts), where the reference had made it fit."""
    assert anchors("اهالي قضاء الرفاعي شمال الناصرية قطعوا الشارع العام").places == {"rifai"}
    assert anchors("Residents blocked the road in Rifai district, north of Nasiriyah").places >= {"rifai"}
    assert "nasiriyah" not in anchors("Residents blocked the road in Rifai district, north of Nasiriyah").places
    # named on its own elsewhere in the text, or alone, it is a place of the post
    assert "nasiriyah" in anchors("قضاء الرفاعي شمال الناصرية، ومحتجون في الناصرية ايضا").places
    assert anchors("تظاهرة شمال الناصرية").places == {"nasiriyah"}
    blockade = _sig("اهالي قضاء الرفاعي شمال الناصرية قطعوا الشارع العام وحرقوا اطارات احتجاجا على قطع الماء",
                    "ar", ["protest"])
    rally = _sig("تظاهر العشرات من خريجي الهندسة في ساحة الحبوبي وسط الناصرية للمطالبة بالتعيين", "ar", ["protest"],
                 hours=2, cos=0.92)
    assert blockade.event is not None and rally.event is not None and blockade.conflicts(rally)


def test_a_long_posts_margin_never_sets_a_bar_the_score_cannot_reach() -> None:
    cfg = MatchConfig(open_margin=0.05, long_open_margin=0.3, label_thresholds=(("threat", 0.74),))
    assert cfg.confident({"threat": 0.995}, ["threat"], 800)  # 0.74 + 0.3 would be 1.04: capped at 0.99
    assert not cfg.confident({"threat": 0.98}, ["threat"], 800)
    assert cfg.confident({"threat": 0.80}, ["threat"], 120) and not cfg.confident({"threat": 0.77}, ["threat"], 120)


def test_two_threats_signed_by_two_unregistered_labels_are_two_events() -> None:
    from classifiers.events.labels import claim_labels

    norm = normalize_for_match("إن المقاومة الإسلامية – سرايا درع الولاية تؤكد، وكتائب حزب الله")
    assert claim_labels(norm, "") == {"ar:درع"}  # the registry's groups are no labels
    assert claim_labels("", "a group calling itself Alwiyat al-Fajr al-Thair, unlike Saraya Awliya al-Dam") == {
        "en:fajr"}
    one = "بيان إنذار: تعلن سرايا درع الولاية أن الشركات العاملة في مطار البصرة أهداف مشروعة للمقاومة"
    other = "بيان: تعلن كتائب نداء الفرات أن الشركات العاملة في مطار البصرة أهداف مشروعة للمقاومة"
    a = _sig(one, "ar", ["threat"])
    b = _sig(other, "ar", ["threat"], hours=3, cos=0.97)
    again = _sig("🔁 منقول: " + one, "ar", ["threat"], hours=3, cos=0.97)
    assert a.event is not None and a.event.groups == "ar:درع"
    assert same_story(a, again, CFG) is not None
    assert same_story(a, b, CFG) is None
    assert same_story(a, replace(b, event=replace(b.event, groups="")), CFG) is not None  # the labels part them


def test_a_label_and_its_transliteration_join_one_threat_across_languages_but_not_its_claim() -> None:
    from classifiers.events.labels import labels_agree, skeleton

    assert skeleton("ar:حسم") == skeleton("en:hasm") == "hsm" and skeleton("ar:درع") == skeleton("en:dir'")
    assert labels_agree(frozenset({"ar:حماه"}), frozenset({"en:humat"}))
    assert not labels_agree(frozenset({"ar:وعد"}), frozenset({"en:waad"}))  # one consonant: too little to tell
    ar = _sig("تحذير من سرايا الحسم إلى سائقي الشاحنات الذين يعملون مع أرتال المحتل على الطريق الدولي من الحدود "
              "الكويتية: ستكون شاحناتكم أهدافاً مشروعة", "ar", ["threat"])
    en = _sig("Saraya al-Hasm has issued a warning to truck drivers working for coalition convoys west of "
              "Nasiriyah, calling their trucks legitimate targets.", "en", ["threat"], hours=1.5, cos=0.86)
    assert ar.event is not None and en.event is not None and ar.event.signed_alike(en.event)
    assert same_story(ar, en, CFG) is not None
    claim = _sig("Saraya al-Hasm claimed the rocket fired at the Burjesiya camp this evening and warned of more.",
                 "en", ["threat"], hours=4, cos=0.82)
    assert claim.event is not None and not ar.event.signed_alike(claim.event)


def test_two_states_strikes_on_one_border_area_stay_two_events() -> None:
    drone = _sig("BREAKING: Turkish drone strike hits a vehicle near Rezan village, Sidakan sub-district (Erbil "
                 "province), overnight. Local source: 2 occupants killed.", "en", ["attack_claim"])
    shelling = _sig("Iran's IRGC ground forces shelled areas around Haji Omaran (Erbil gov.) at midday, per local "
                    "officials in Sidakan. No casualties reported. Second cross-border incident in the Sidakan area "
                    "in 12 hours (earlier: Turkish drone strike).", "en", ["attack_claim"], hours=9, cos=0.94)
    assert drone.event is not None and shelling.event is not None
    assert (drone.event.actor1, shelling.event.actor1) == ("Turkish Forces", "Iranian Forces (IRGC)")
    assert same_story(shelling, drone, CFG) is None
    # the US and the coalition it leads are one side
    us = _sig("A US drone strike hit a vehicle near al-Qaim on the Syrian border overnight.", "en", ["attack_claim"])
    coalition = _sig("Coalition drone strike on a vehicle near al-Qaim, on the Syrian border, overnight.", "en",
                     ["attack_claim"], hours=1, cos=0.95)
    assert coalition.event is not None and coalition.event.actor1 == "International Coalition"
    assert same_story(coalition, us, CFG) is not None


def test_a_call_naming_its_weekday_bare_is_the_call_dated_to_that_weekday() -> None:
    """«الجمعة الساعة ٤ العصر وقفة» names Friday without «يوم»: the MSA report of the same call, dated to
    Friday, is not days apart from it."""
    dialect = _sig("📢 يا أهل البصرة الجمعة الساعة ٤ العصر وقفة كبيرة كدام مبنى المحافظة ضد ملوحة المي", "ar",
                   ["protest"])
    msa = _sig("ناشطون في البصرة يدعون إلى تظاهرة يوم الجمعة أمام مبنى المحافظة احتجاجاً على ارتفاع الملوحة", "ar",
               ["protest"], hours=1, cos=0.93)
    assert msa.event is not None and msa.event.day and dialect.event is not None and not dialect.event.day
    assert "fri" in dialect.anchors.days
    assert not compare(dialect, msa)[0]
    # a call for another weekday stays apart
    sunday = _sig("📢 يا أهل البصرة الأحد الساعة ٤ العصر وقفة كبيرة كدام مبنى المحافظة ضد ملوحة المي", "ar",
                  ["protest"], hours=1)
    assert compare(sunday, msa)[0]


def test_where_a_witness_heard_it_is_neither_the_events_place_nor_an_anchor() -> None:
    """«سمعناه بالعامرية والغزالية»: the hearers' quarters, both of them, not where the rocket fell."""
    heard = _sig("هسه صوت انفجار قوي جهة المطار 💥 سمعناه بالعامرية والغزالية، ناس يكولون صاروخ وكع قرب المطار",
                 "ar", ["attack_claim"])
    assert not {"ghazaliya", "amiriya"} & heard.anchors.places
    assert heard.event is not None and heard.event.place not in ("ghazaliya", "amiriya")


def test_a_protest_set_apart_from_another_groups_sit_in_still_joins_its_own_reports() -> None:
    """«بشكل منفصل عن اعتصام الخريجين»: the nurses' protest is apart from the graduates' sit-in, not from the
    nurses' own other reports."""
    nurses = _sig("تظاهر العشرات من الممرضين والممرضات المتعاقدين صباح اليوم أمام مبنى دائرة صحة النجف في شارع الكوفة"
                  " للمطالبة بتثبيتهم.\nوتأتي التظاهرة بشكل منفصل عن اعتصام الخريجين المتواصل أمام ديوان المحافظة.",
                  "ar", ["protest"])
    assert nurses.event is not None and nurses.event.distinct == "by:Graduates (Iraq)"
    own = _sig("الممرضات بالنجف طالعات اليوم گدام الصحة، 3 شهور بلا راتب", "ar", ["protest"], hours=1, cos=0.93)
    graduates = _sig("بدأ العشرات من الخريجين العاطلين عن العمل اعتصاماً مفتوحاً أمام مبنى ديوان محافظة النجف", "ar",
                     ["protest"], hours=-3, cos=0.95)
    assert not sets_apart(nurses, own) and same_story(nurses, own, CFG) is not None
    assert sets_apart(nurses, graduates) and same_story(nurses, graduates, CFG) is None


def test_two_quarters_of_one_channels_city_are_two_protests() -> None:
    """Dawoodi (Karkh) and Bab al-Murad (Kadhimiya), under one channel's «📡 الكرخ» sign: two places."""
    tyres = _sig("هسه اهالي الداودي قطعوا الشارع الرئيسي وحرگوا تايرات بسبب انقطاع الوطنية\n📡 الكرخ نيوز", "ar",
                 ["protest"])
    vendors = _sig("أصحاب البسطيات بباب المراد گاعدين يتظاهرون هسه ضد قرار الإزالة\n📡 الكرخ نيوز", "ar",
                   ["protest"], hours=36, cos=0.94)
    assert tyres.event is not None and vendors.event is not None
    assert (tyres.event.district, vendors.event.district) == ("karkh", "kadhimiya")
    assert same_story(tyres, vendors, CFG) is None


def test_a_wires_month_first_dateline_is_no_count() -> None:
    wire = anchors("BAGHDAD, Feb 11 — The U.S. Embassy in Baghdad warned on Friday of possible attacks on hotels")
    assert 11 not in wire.numbers
    assert 3 in anchors("Three rockets hit the base on Nov 5").numbers


def test_a_sit_in_on_its_third_day_joins_its_first_on_another_weekday_but_an_attack_on_it_does_not() -> None:
    start = _sig("المحاضرون المجانيون يعتصمون صباح اليوم الخميس أمام مديرية تربية نينوى في حي الدواسة بالموصل", "ar",
                 ["protest"])
    third = _sig("MOSUL — Unpaid volunteer teachers kept up a sit-in outside the Nineveh education directorate in "
                 "Mosul for a third day on Saturday, demanding permanent posts.", "en", ["protest"], hours=47, cos=0.93)
    assert start.event is not None and start.event.place == "dawasa"  # (al-Dawasa, in Mosul)
    assert third.event is not None and third.event.follow == "d3" and "sat" in third.anchors.days
    assert not compare(start, third)[0] and same_story(start, third, CFG) is not None
    # the same follow-up without its day's count is two days and a weekday away
    plain = _sig("MOSUL — Unpaid volunteer teachers kept up a sit-in outside the Nineveh education directorate in "
                 "Mosul on Saturday, demanding permanent posts.", "en", ["protest"], hours=47, cos=0.93)
    assert compare(start, plain)[0]
    grenade = _sig("Grenade thrown at the volunteer teachers' sit-in tent outside the Nineveh education directorate in "
                   "Mosul on its third day, Saturday; two wounded.", "en", ["protest", "attack_claim"], hours=47,
                   cos=0.93)
    assert compare(start, grenade)[0]


def test_two_named_armed_groups_acts_are_two_events() -> None:
    claim = _sig("أصحاب الكهف تتبنى تفجير عبوة ناسفة على رتل لوجستي قرب قاعدة عين الأسد صباح اليوم", "ar",
                 ["attack_claim"])
    threat = _sig("أبو علي العسكري: قاعدة عين الأسد هدف مشروع لكتائب حزب الله والأيام القادمة ستشهد ما يفهمه العدو",
                  "ar", ["threat"], hours=9, cos=0.9)
    assert claim.event is not None and threat.event is not None
    assert {claim.event.actor1, threat.event.actor1} == {"Ashab al-Kahf", "Kata'ib Hezbollah"}
    assert compare(claim, threat)[0] and same_story(claim, threat, CFG) is None
    # a threat that says something goes on («ما زال يماطل») answers no attack; one that avenges does
    still = _sig("كتائب حزب الله: المحتل ما زال يماطل، وقاعدة عين الأسد هدف مشروع", "ar", ["threat"])
    avenge = _sig("كتائب حزب الله: ثأرا لدماء الشهداء في القائم، قاعدة عين الأسد هدف مشروع", "ar", ["threat"])
    assert still.event is not None and not still.event.follow
    assert avenge.event is not None and avenge.event.follow == "1"


def test_two_ultimatums_with_two_deadlines_in_one_district_are_two_threats() -> None:
    leaflets = _sig("منشورات لداعش في قرى قضاء القائم تمهل عناصر الحشد العشائري مهلة سبعة أيام للتوبة والا "
                    "سيكونون هدفا", "ar", ["threat"])
    sheikhs = _sig("Sheikhs in al-Qaim give the gas field contractor 72 hours to hire locals or they will halt the "
                   "work by force", "en", ["threat"], hours=10, cos=0.95)
    assert leaflets.event is not None and sheikhs.event is not None
    assert (leaflets.event.deadline, sheikhs.event.deadline) == ("h168", "h72")
    assert compare(sheikhs, leaflets)[0] and same_story(sheikhs, leaflets, CFG) is None
    retold = _sig("Al-Qaim: ISIS leaflets give tribal Hashd fighters a week to repent", "en", ["threat"], hours=3,
                  cos=0.95)
    assert same_story(retold, leaflets, CFG) is not None  # the same deadline: one threat
    # a time gone by is no deadline («بعد مرور سبعة ايام على مقتل ولدنا ... نمهلكم 48 ساعة»)
    assert threat_deadline(normalize_for_match("بعد مرور سبعة أيام على مقتل ولدنا نمهلكم 48 ساعة")) == "h48"


def test_an_insurgent_ground_attack_and_an_unclaimed_drone_strike_nearby_stay_apart() -> None:
    ground = _sig("هجوم لعناصر من داعش على نقطة للجيش العراقي في صحراء عكاشات جنوب غربي القائم", "ar",
                  ["attack_claim"])
    drone = _sig("تعرض مقر اللواء 45 في الحشد الشعبي بقضاء القائم فجر اليوم لهجوم بطائرة مسيرة مجهولة", "ar",
                 ["attack_claim"], hours=4, cos=0.95)
    assert ground.event is not None and drone.event is not None
    assert drone.event.actor1 == ""  # the PMF's headquarters was what the attack befell
    assert ground.event.grounded_against(drone.event) and drone.event.same_event(ground.event) == 0
    assert same_story(drone, ground, CFG) is None
    # gunmen at one site of a district, a drone over another: no clash "told without its weapons"
    gunmen = _sig("مسلحون مجهولون يهاجمون سيطرة للشرطة عند مدخل ناحية الإسكندرية شمالي بابل", "ar", ["attack_claim"])
    strike = _sig("ضربة بطائرة مسيرة استهدفت عجلة على طريق جرف النصر", "ar", ["attack_claim"], hours=8, cos=0.95)
    assert gunmen.event is not None and gunmen.event.same_event(strike.event) == 0


SIT_IN_DAY_THREE = ("✊ اليوم الثالث للاعتصام ✊\nاحنا بعدنا قدام مبنى المحافظة بالدواسة، بتنا ليلتين بالبرد.\n"
                    "📌 قررنا اليوم:\n1- الاعتصام مستمر لحد ما يجينا رد مكتوب.\n"
                    "2- إذا ما صار شي لحد يوم الأحد، راح نوسع الاعتصام لساحة المنصة.\n"
                    "3- ندعو خريجي الأقضية (تلعفر، سنجار، الحمدانية، القيارة، الشيخان) يلتحقون بينا يوم السبت.\n"
                    "#اعتصام_الخريجين")


def test_a_sit_ins_nth_day_report_is_todays_and_joins_its_story_whatever_districts_it_lists() -> None:
    from monitor.signatures import is_digest

    day3 = _sig(SIT_IN_DAY_THREE, "ar", ["protest"], hours=50)
    assert day3.event is not None and day3.event.follow == "d3" and day3.event.day == ""
    assert day3.event.place == "dawasa"  # (the districts whose graduates are called on are where they come from)
    day2 = _sig("محافظ نينوى يلتقي وفداً من الخريجين المعتصمين أمام مبنى المحافظة لليوم الثاني", "ar", ["protest"],
                hours=29, cos=0.95)
    assert day3.digest and same_story(day3, day2, CFG) is not None  # (a roundup by its list; its day mark says)
    roundup = ("حصاد اليوم:\n▪️ انفجار عبوة ناسفة على دورية للجيش على طريق القيارة وإصابة جندي بجروح متوسطة.\n"
               "▪️ اشتباك عشائري بالأسلحة المتوسطة في حي الكفاح بتلعفر على خلفية نزاع على بئر ماء.\n"
               "▪️ قصف مدفعي تركي يستهدف قرى قرب جبل سنجار دون تسجيل إصابات بشرية حتى الآن.\n"
               "▪️ تظاهرة للمعلمين أمام مبنى قائممقامية الحمدانية للمطالبة بصرف الرواتب المتأخرة.")
    assert is_digest(roundup, anchors(roundup).places)
    first = _sig("المئات من الخريجين يبدؤون اعتصاماً مفتوحاً أمام مبنى محافظة نينوى في الدواسة", "ar", ["protest"])
    assert not compare(day3, first)[0]  # (dated to the Sunday before by its plan, it conflicted)
    # an attack on the sit-in on its fourth day keeps the time its text gives
    grenade = _sig("Grenade thrown at the tent of the graduates' sit-in outside the Nineveh governorate building "
                   "in Dawasa before dawn. The sit-in, now on its fourth day, goes on.", "en",
                   ["attack_claim", "protest"], hours=70)
    assert grenade.event is not None and grenade.event.follow == "d4" and grenade.event.day != ""


def test_the_most_telling_contrast_phrase_sets_a_protest_apart_from_one_group_or_place() -> None:
    workers = _sig("هسه قدام مبنى المحافظة: تظاهرة ثانية غير اعتصام الخريجين، هاي لعمال العقود والأجور اليومية",
                   "ar", ["protest"])
    assert workers.event is not None and workers.event.actor1 == "Labour Group (Iraq)"
    assert workers.event.distinct == "by:Graduates (Iraq)"
    english = _sig("Second protest outside the governorate building today, and a different one: contract workers "
                   "demanding permanent posts. Separate from the graduates' sit-in.", "en", ["protest"], hours=1)
    assert english.event is not None and english.event.distinct == "by:Graduates (Iraq)"
    assert not sets_apart(english, workers) and not sets_apart(workers, english)
    baiji = _sig("هسه يم وزارة الكهرباء بالعلاوي مئات من عمال العقود معتصمين. مو نفس جماعة بيجي، هذوله كهرباء بغداد",
                 "ar", ["protest"])
    assert baiji.event is not None and baiji.event.distinct == "at:baiji"


def test_a_plot_intelligence_reports_and_a_threateners_declaration_are_two_threats() -> None:
    plot = _sig("مصدر استخباري: ورود معلومات عن مخطط لتفجير سيارة مفخخة في سوق شعبي بالبصرة خلال الأيام المقبلة",
                "ar", ["threat"])
    declared = _sig("رسالة الى موظفي الشركات الاجنبية في حقول البصرة: انتم منذ اليوم اهداف مشروعة", "ar", ["threat"],
                    hours=5, cos=0.95)
    assert plot.event is not None and declared.event is not None
    assert (plot.event.voice, declared.event.voice) == ("plot", "declared")
    assert compare(plot, declared)[0] and same_story(plot, declared, CFG) is None
    retold = _sig("Intelligence warned of a plot to detonate a car bomb in a crowded Basra market", "en", ["threat"],
                  hours=1, cos=0.9)
    assert retold.event is not None and retold.event.voice == "plot" and not compare(plot, retold)[0]


def test_a_deadline_at_a_named_months_end_and_the_end_of_a_sit_in() -> None:
    for text in ("المهلة تنتهي بنهاية شهر نيسان الجاري", "نهاية نيسان آخر مهلة للاحتلال",
                 "US forces have until the end of April to leave"):
        assert threat_deadline(normalize_for_match(text)) == "month_end"
    # a sit-in told as ending refers back to it
    assert follows_on(normalize_for_match("أنهى عمال العقود في شركة النفط ظهر اليوم اعتصامهم المفتوح أمام البوابة"))
    assert follows_on(normalize_for_match("المعتصمين گالوا راح ينهون الاعتصام اليوم العصر"))


def test_families_of_the_disappeared_and_graduates_in_one_square_are_two_protests() -> None:
    grads = _sig("تظاهر المئات من الخريجين في ساحة التحرير للمطالبة بالتعيين", "ar", ["protest"])
    families = _sig("ساحة التحرير: ذوو المغيبين يرفعون صور أبنائهم ويطالبون بكشف مصيرهم", "ar", ["protest"], hours=8,
                    cos=0.95)
    assert grads.event is not None and families.event is not None
    assert families.event.actor1 == "Families of the Disappeared (Iraq)"
    assert compare(grads, families)[0]
    # the unemployed are the graduates' crowd in another report
    jobless = _sig("العشرات من العاطلين عن العمل يتظاهرون في ساحة التحرير", "ar", ["protest"], hours=1, cos=0.95)
    assert jobless.event is not None and jobless.event.actor1 == "Graduates (Iraq)"

