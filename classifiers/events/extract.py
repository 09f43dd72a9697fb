"""Event extraction: rules over the gazetteer and the actor registry, offline, on the CPU.

``extract_event(text, labels, posted)`` -> ``monitor.models.Event`` (or None for a post with no flagged
label). What it decides, in order:

- the family from the classifier's labels (attack_claim > protest > threat), then the ACLED sub-event type
  from what the text says: the weapon ("عبوة" -> Remote explosive/landmine/IED, "مسيرة" -> Air/drone strike,
  ...), an abduction, an arrest, a defused or intercepted device, protesters met with tear gas or live fire,
  a crowd storming or burning a building;
- actors: every registry mention, each given a role by the words just before it (``استهداف``, ``targeting``,
  ``against``, ``warns``: the one acted on; ``by``, ``claimed``, ``هجوم ل``: the one acting); actor1 is the
  first acting one, actor2 the first acted on; protests put Protesters first, with the group (teachers,
  Sadrists) as the associated actor;
- target: the thing attacked ("رتل دعم لوجستي" -> logistics convoy), owned by actor2 ("US logistics convoy");
- location: the finest place named (a base beats its town, a town its governorate), preferring one whose
  governorate the text also names, never a place inside an actor's name ("وحدات مقاومة سنجار");
- fatalities / injured when stated (digits, Arabic-Indic digits, Arabic and English number words, duals);
- event_time: the post's time, moved by "yesterday", "last night", «فجر اليوم», «أمس», a weekday.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from itertools import pairwise
from typing import Any

from classifiers.cues import CueLexicon
from classifiers.events.actors import UNKNOWN_GUNMEN, ActorRegistry, Mention
from classifiers.events.focus import focus
from classifiers.events.gazetteer import PlaceIndex, Resolved, bare_spans
from classifiers.normalize import clean_for_model, normalize_for_match
from monitor.models import EVENT_TYPES, Event, Location, iso, utc

BAGHDAD = timezone(timedelta(hours=3))
_AR = "\u0600-\u06ff"


_LOOKBEHINDS = re.compile(r"^(?:\(\?<!.*?\))+")
_SPECIAL = frozenset("\\.^$*+?{}[]()|")


class Scan:
    """A pattern with the plain strings one of which every match holds (an ``_rx`` pattern whose alternatives
    are strings, a leading lookbehind aside): a text that holds none is not scanned (``search``,
    ``finditer``, ``findall`` and ``sub`` answer at once: a long post meets ~100 such patterns, most of them
    absent); ``match`` and ``fullmatch`` at a position run the pattern as it is."""

    __slots__ = ("cores", "pattern", "rx")

    def __init__(self, rx: re.Pattern[str], cores: tuple[str, ...]) -> None:
        self.rx = rx
        self.cores = cores
        self.pattern = rx.pattern

    def _absent(self, text: str) -> bool:
        return not any(core in text for core in self.cores)

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return None if self._absent(text) else self.rx.search(text, pos, endpos)

    def finditer(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        return iter(()) if self._absent(text) else self.rx.finditer(text, pos, endpos)

    def findall(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> list[Any]:
        return [] if self._absent(text) else self.rx.findall(text, pos, endpos)

    def sub(self, repl: Any, text: str, count: int = 0) -> str:
        return text if self._absent(text) else self.rx.sub(repl, text, count)

    def match(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.rx.match(text, pos, endpos)

    def fullmatch(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.rx.fullmatch(text, pos, endpos)


Rx = re.Pattern[str] | Scan


def _rx(*alts: str) -> Rx:
    """Alternatives on the normalised text: Arabic ones as substrings (clitics attach), Latin ones on word
    boundaries. Where every alternative is a plain string (a leading lookbehind aside), a ``Scan``."""
    ar = [a for a in alts if re.search(f"[{_AR}]", a)]
    la = [a for a in alts if a not in ar]
    parts = []
    if ar:
        parts.append("(?:" + "|".join(ar) + ")")
    if la:
        parts.append(r"(?<!\w)(?:" + "|".join(la) + r")(?!\w)")
    rx = re.compile("|".join(parts))
    cores = tuple(_LOOKBEHINDS.sub("", a) for a in alts)
    return rx if any(_SPECIAL & set(core) or not core for core in cores) else Scan(rx, cores)


# --- weapons: (English name, family, pattern); first match in this order wins ------------------------------
WEAPONS: list[tuple[str, str, Rx]] = [
    ("suicide bomb", "suicide", _rx("انتحاري", "انتحاريه", "انتحارية", "حزام ناسف", "احزمه ناسفه", "suicide")),
    # «مسيرة مفخخة» is an explosive-laden drone, not a car bomb
    ("car bomb", "ied", _rx("سياره مفخخه", "عجله مفخخه", "(?<!مسيره )(?<!طائره )(?<!مسيرات )(?<!طائرات )مفخخه",
                            "car bomb", "vbied", "car bombs")),
    ("sticky bomb", "ied", _rx("لاصقه", "sticky bomb", "sticky bombs", "magnetic bomb")),
    (
        "IED",
        "ied",
        _rx(
            "عبوه",
            "عبوات",
            "ناسفه",
            "ied",
            "ieds",
            "roadside bomb",
            "roadside bombs",
            "explosive device",
            "explosive devices",
            "improvised explosive",
        ),
    ),
    ("landmine", "ied", _rx("لغم", "الغام", "landmine", "landmines", "land mine")),
    (
        "drone",
        "air",
        _rx(
            "مسيره",
            "مسيرات",
            "مسيرتنا",
            "مسيراتنا",
            "مسيرتين",
            "درون",
            "الطائرات المسيره",
            "طائره مسيره",
            "drone",
            "drones",
            "uav",
            "uavs",
            "kamikaze drone",
            "one way attack drone",
        ),
    ),
    (
        "airstrike",
        "air",
        _rx(
            "غاره",
            "غارات",
            "قصف جوي",
            "ضربه جويه",
            "ضربتين جويتين",
            "ضربتان جويتان",
            "ضربات جويه",
            "اعتداء جوي",
            "الاعتداء الجوي",
            "القصف الجوي",
            "الضربه الجويه",
            "الضربات الجويه",
            "استهداف جوي",
            "هجوم جوي",
            "الطيران الحربي",
            "طيران حربي",
            "طائرات حربيه",
            "airstrike",
            "airstrikes",
            "air strike",
            "air strikes",
            "warplane",
            "warplanes",
            "jets",
            "f 16",
            "f16",
            "f 16s",
            "الطيران",
            "طياره",
            "طيارات",
            "طائره حربيه",
            "مقاتلات",
            "القوه الجويه",
            "طيران الجيش",
            "صقور الجو",
            "air force",
            "airforce",
        ),
    ),
    (
        "ballistic missile",
        "shelling",
        _rx("صواريخ باليستيه", "صاروخ باليستي", "ballistic missile", "ballistic missiles"),
    ),
    ("cruise missile", "shelling", _rx("صاروخ كروز", "صواريخ كروز", "cruise missile", "cruise missiles")),
    ("mortar", "shelling", _rx("هاون", "mortar", "mortars", "mortar shells", "mortar rounds")),
    (
        "rocket",
        "shelling",
        _rx(
            "صاروخ",
            "صواريخ",
            "صاروخين",
            "كاتيوشا",
            "غراد",
            "rocket",
            "rockets",
            "katyusha",
            "katyushas",
            "سي رام",
            "c ram",
            "grad",
            "missile",
            "missiles",
            "منصه اطلاق",
            "منصه الاطلاق",
            "منصات اطلاق",
            "launch pad",
            "launchpad",
            "launching pad",
        ),
    ),
    ("artillery", "shelling", _rx("مدفعيه", "قصف مدفعي", "قذائف", "قذيفه", "artillery", "shelling", "shells")),
    ("shelling", "shelling", _rx("قصف", "تقصف", "يقصف", "shelled", "shells", "bombarded")),
    # before a bare "explosion": «انفجار ... رمانة» is a grenade
    (
        "grenade",
        "grenade",
        _rx("قنبله يدويه", "قنابل يدويه", "رمانه يدويه", "رمانه", "grenade", "grenades", "hand grenade"),
    ),
    (
        "bomb",
        "ied",
        _rx("انفجار", "انفجر", "تفجير", "فجروا", "فجرنا", "فجرت", "يفجرون", "يفجر", "تفجر", "explosion",
            "explosions", "blast", "blasts", "bomb", "bombs", "bombing", "exploded", "blew up", "blown up"),
    ),
    (
        "tear gas",
        "riot",
        _rx("مسيل للدموع", "مسيله للدموع", "قنابل الغاز", "قنابل دخانيه", "الغاز المسيل", "tear gas", "teargas"),
    ),
    ("live ammunition", "small", _rx("رصاص حي", "الرصاص الحي", "live ammunition", "live fire", "live rounds")),
    ("sniper", "small", _rx("قناص", "قنص", "sniper", "snipers")),
    ("knife", "small", _rx("سكين", "طعن", "knife", "stabbed", "stabbing")),
    (
        "small arms",
        "small",
        _rx(
            "اطلاق نار",
            "اطلاق النار",
            "اطلاقات",
            "اطلق النار",
            "اطلقوا النار",
            "اطلقو النار",
            "اطلقت النار",
            "يطلق النار",
            "يطلقون النار",
            "تطلق النار",
            "اطلقوا عليه",
            "اطلقو عليه",
            "اسلحه خفيفه",
            "الاسلحه الخفيفه",
            "اسلحه متوسطه",
            "الاسلحه المتوسطه",
            "بالمتوسطه",
            "رمي متوسط",
            "رمي متوسطه",
            "بي كي سي",
            "قاذفات",
            "بالقاذفات",
            "بالرصاص",
            "رشقات",
            "gunfire",
            "opened fire",
            "opened fire on",
            "fired on",
            "shot dead",
            "small arms",
            "medium weapons",
            "medium machine guns",
            "medium machine gun",
            "pkm",
            "rpg",
            "rpgs",
            "gunmen",
            "shooting",
        ),
    ),
    # a faction's formula for a weapon it does not name («بالأسلحة المناسبة», "with appropriate weapons"): its
    # attacks on a base from afar, rockets or drones (both "strike" in story matching), not a gunfight
    ("weapons not named", "shelling", _rx("بالاسلحه المناسبه", "بالاسلحه الملائمه", "appropriate weapons",
                                          "suitable weapons")),
    # a bare "strike" last: "a 3-rocket strike" is a rocket attack, a drone strike a drone's
    ("airstrike", "air", _rx("strike", "strikes", "struck")),
]

# ... and their words in the other languages of Iraqi feeds (Sorani, Kurmanji, Persian, Turkish), which the
# other-languages head labels (``classifiers/model.py: OtherLanguages``), so a Kurdish report of the drone
# strike an Arabic one told is the same kind of event. Latin ones as word starts (Turkish and Kurmanji add
# their endings: «İHA'larla», «dronekê»; "re:" marks a pattern: «ihale», a tender, is no drone), as normalised.
_FOREIGN_WEAPONS = {
    "suicide bomb": ("خۆتەقێنەر", "انتحاری", "عملیات انتحاری", "canbombe", "intihar saldır", "canlı bomba"),
    "car bomb": ("ئۆتۆمبێلی بۆمبڕێژکراو", "خودروی بمب", "bombalı araç", "bombe bi erebe"),
    "IED": ("بۆمبی چێنراو", "بمب کنار جاده", "بمب دست ساز", "el yapımı patlayıcı", "eyp", "mayın", "mayin",
            "مین گذاری"),
    "drone": ("درۆن", "فڕۆکەی بێفڕۆکەوان", "پهپاد", r"re:s?i\u0307?ha(?:'|\b|lar|y)", "insansız hava",
              r"re:(?<!\w)dron(?:\b|ek|ê|a\b|an|ên|la|u)",
              "bêmirov", "bêpîlot"),
    "airstrike": ("فڕۆکەی جەنگی", "فڕۆکە جەنگی", "هێرشی ئاسمانی", "بۆردومان", "حمله هوایی", "حملات هوایی",
                  "جنگنده", "بمباران", "hava harekât", "hava saldırı", "hava operasyon",
                  "savaş uçak", "balafirên şer", "balafira şer", "balafirên tirk", "êrîşa asmanî",
                  "bombebaran"),
    "rocket": ("مووشەک", "ڕۆکێت", "کاتیۆشا", "موشک", r"re:(?<!\w)راكت(?:\b|ها)", "roket", "füze", "mûşek",
               "katyuşa"),
    "mortar": ("هاوەن", "خمپاره", "havan top", "havan mermi"),
    "artillery": ("تۆپباران", "تۆپخانە", "توپخانه", "گلوله باران", "topçu", "top atış", "obüs", "topbaran"),
    # (not «بمبلغ», «بمبيعات», «التراكتورات», "bombardment": Arabic and English words that hold them)
    "bomb": ("تەقینەوە", "تەقاندنەوە", "بۆمب", r"re:(?<!\w)بمب(?:\b|ها|گذار)", "patlama", "patladı",
             r"re:(?<!\w)bomba(?:\b|l|s|y|n)", "teqîn", "teqandin"),
    "small arms": ("تەقەکردن", "تەقەی لێکرا", "چەکداران", "تیراندازی", "مسلحانه", "ateş açt", "silahlı saldırı",
                   "kurşunla", "çekdaran", "gulebaran"),
}


def _with_foreign(name: str, rx: Rx) -> Rx:
    words = _FOREIGN_WEAPONS.get(name)
    if not words:
        return rx
    forms = [w[3:] if w.startswith("re:") else re.escape(normalize_for_match(w)) for w in words]
    ar = [f for f in forms if re.search(f"[{_AR}]", f)]
    la = [f for f in forms if not re.search(f"[{_AR}]", f)]
    parts = [rx.pattern] + (["(?:" + "|".join(ar) + ")"] if ar else []) + (
        [r"(?<!\w)(?:" + "|".join(la) + ")"] if la else [])
    out = re.compile("|".join(parts))
    if isinstance(rx, Scan) and all(not w.startswith("re:") for w in words):
        return Scan(out, (*rx.cores, *(normalize_for_match(w) for w in words)))
    return out


WEAPONS = [(name, family, _with_foreign(name, rx)) for name, family, rx in WEAPONS]
_SUB_OF_FAMILY = {
    "suicide": ("Explosions/Remote violence", "Suicide bomb"),
    "ied": ("Explosions/Remote violence", "Remote explosive/landmine/IED"),
    "air": ("Explosions/Remote violence", "Air/drone strike"),
    "shelling": ("Explosions/Remote violence", "Shelling/artillery/missile attack"),
    "grenade": ("Explosions/Remote violence", "Grenade"),
}

DISRUPTED = _rx(
    "تفكيك",
    "فكك",
    "ابطال مفعول",
    "ابطال عبوه",
    "ابطال العبوه",
    "اسقاط",
    "اسقطت",
    "اسقط",
    "تسقط",
    "اعتراض",
    "احباط",
    "احبط",
    "ضبط",
    "intercepts",
    "shoots down",
    "defused",
    "defuse",
    "intercepted",
    "shot down",
    "foiled",
    "thwarted",
    "dismantled",
    "seized",
    "found and destroyed",
)
# a claim, or a hit "despite the enemy's attempts to intercept" («رغم محاولات منظومات العدو اعتراضهما», «اصابتا
# اهدافهما»): no disrupted attack
_HIT_DESPITE = re.compile(r"(?<!\w)(?:claimed|claim)(?!\w)|تبنت|نعلن|تعلن|رغم محاولات|رغم محاوله|"
                          r"اصابت(?:ا)? (?:ال)?اهداف|(?<!\w)despite (?:\w+ )?attempts?|hit (?:its|their) targets?")
# «تسقط بين المنازل»: a shell that falls, not one shot down («تسقط طائرة مسيرة»)
_FALLS = re.compile(r"(?:تسقط|يسقط|سقطت|سقط|اسقط)\s+(?:بين|في|على|علي|قرب|داخل|بالقرب|فوق|وسط|عند|ب|قبل|دون)(?!\w)")
ABDUCTION = _rx(
    "ختطف",
    "اختطاف",
    "خطف",
    "مختطف",
    "اختطف",
    "تغييب",
    "مغيب",
    "kidnap",
    "kidnapped",
    "kidnapping",
    "abducted",
    "abduction",
    "abducts",
    "disappeared",
)
ARREST = _rx(
    "اعتقال",
    "اعتقل",
    "تعتقل",
    "يعتقل",
    "القبض",
    "لزمت",
    "لزموا",
    "انلزموا",
    "القاء القبض",
    "القبض على",
    "قبض على",
    "الامساك ب",
    "مذكره قبض",
    "arrested",
    "arrest",
    "arrests",
    "detained",
    "captured",
    "apprehended",
)
CLASH = _rx(
    "اشتباك",
    "اشتباكات",
    "اشتبك",
    "معركه",
    "معارك",
    "مواجهات",
    "هجوم مسلح",
    "تعرض",
    "clash",
    "clashes",
    "clashed",
    "firefight",
    "gun battle",
    "exchange of fire",
    "fighting",
    "ambush",
    "ambushed",
    "attacked",
)
# an attack fought off (ACLED: a clash between the attackers and the forces), not a disrupted weapon
REPELLED = _rx(
    "صد هجوم",
    "يصدون هجوم",
    "صدوا هجوم",
    "تصدوا لهجوم",
    "يتصدون لهجوم",
    "صدت هجوم",
    "تصد هجوم",
    "تصدت لهجوم",
    "تحبط هجوم",
    "تحبط محاوله تسلل",
    "احبطت محاوله تسلل",
    "احباط محاوله تسلل",
    "صد محاوله تسلل",
    "صدت محاوله تسلل",
    "infiltration attempt",
    "احبطت هجوم",
    "احبط هجوم",
    "repelled",
    "repel",
    "repels",
    "repulsed",
    "fought off",
    "foiled an attack",
    "thwarted an attack",
)
# an operation a force starts (a raid, an ambush it lays, a sweep, an airdrop): the force acts first
OPERATION = _rx("داهم", "مداهمه", "نصبت كمين", "نصب كمين", "ينصب كمين", "عمليه", "انزال", "تفتيش", "ملاحقه", "تعقب",
                "raid", "raided", "raids", "ambushed", "sweep", "operation", "airdrop", "clearance")
TRIBAL = _rx(
    "بين عشيرتين",
    "بين العشيرتين",
    "between two tribes",
    "rival tribes",
    "between two clans",
    "rival clans",
    "clan clash",
    "clan clashes",
    "clan fight",
    "نزاع عشائري",
    "نزاع عشائري مسلح",
    "اشتباك عشائري",
    "عركه عشاير",
    "عركه عشائريه",
    "tribal clash",
    "tribal clashes",
    "tribal fight",
    "tribal gunfight",
    "tribal dispute",
)
ASSASSINATION = _rx("اغتيال", "اغتال", "اغتيل", "يغتال", "يغتالون", "اغتالوا", "اغتالت", "تغتال", "assassination",
                    "assassinated", "assassinate", "gunned down", "shot dead")
# "no arrests yet", «لم تسجل اعتقالات»: an attack's follow-up, not an arrest
NO_ARREST = _rx(
    "لم تسجل اعتقالات",
    "لم تسجل اي اعتقالات",
    "دون اعتقالات",
    "لا اعتقالات",
    "لم يتم اعتقال",
    "لم يعتقل",
    "no arrests",
    "no one has been arrested",
    "no one was arrested",
    "nobody has been arrested",
    "no arrest",
    # (a word of the victim's past: "he represented detained protesters")
    "detained protesters",
    "detained activists",
    "detained demonstrators",
)
KILL_CIVILIAN = _rx(
    "مدني",
    "مدنيين",
    "ناشط",
    "صحفي",
    "مواطن",
    "civilian",
    "civilians",
    "activist",
    "journalist",
    "shepherd",
    "farmer",
    "رعاه",
    "راعي",
)
# protests
EXCESSIVE = _rx(
    "استشهاد متظاهر",
    "مقتل متظاهر",
    "قتل متظاهر",
    "سقوط شهداء",
    "رصاص حي",
    "الرصاص الحي",
    "قنص المتظاهرين",
    "killed protesters",
    "protesters killed",
    "protester killed",
    "killing protesters",
    "live ammunition",
    "live fire",
    "opened fire on protesters",
    "shot dead",
)
INTERVENTION = _rx(
    "تفريق",
    "فرقت",
    "تفض",
    "فضت",
    "فض اعتصام",
    "فض تظاهره",
    "تعتقل",
    "اعتقلت",
    "مسيل للدموع",
    "الغاز المسيل",
    "قنابل الغاز",
    "خراطيم",
    "اعتقال متظاهر",
    "اعتقال عدد من المتظاهرين",
    "اعتدت",
    "الاعتداء على المتظاهرين",
    "هراوات",
    "dispersed",
    "disperse",
    "tear gas",
    "water cannon",
    "batons",
    "arrested protesters",
    "detained protesters",
    "arrest protesters",
    "beat protesters",
)
VIOLENT_DEMO = _rx(
    "احرق",
    "احراق",
    "حرق",
    "حرگ",
    "ضرم",
    "اقتحم",
    "قتحم",
    "اقتحام",
    "رشق",
    "بالحجاره",
    "تكسير",
    "stormed",
    "storm",
    "storming",
    "torch",
    "burn",
    "set fire",
    "torched",
    "burned",
    "burnt",
    "threw stones",
    "hurled stones",
    "molotov",
    "ransacked",
    "smashed",
)
MOB = _rx("سحل", "لينش", "حشود غاضبه", "حشد غاضب", "mob", "lynched", "lynching")

# roles: the words just before a mention
# (the words, Arabic then English, that make a mention just after them the one acted on)
_OBJECT_WORDS_AR = (
    r"ستهدف|ستهداف|ضد|على|علي|قصف|ضرب|مواقع|موقعا ل|موقعا تابعا|قاعده|قواعد|رتل|ارتال|لرتل|مقر|مقرات|تجمعات|دوريه|عجله|"
    r"قتل|مقتل|اعتقال|القبض على|اغتيال|يحذر|تحذر|نحذر|حذر|حذرت|تحذير|تهدد|يهدد|هدد|هددت|هددوا|نتوعد|توعد|توعدت|"
    r"نمهل|يمهل|تمهل|مهله|امهل|انذر|انذرت|اصابه|استشهاد|جرح|تتمركز|يتمركز|كتلوا|يكتلون|قتلوا|يقتلون|"
    r"هاجم|هاجمت|استهدافها|تضم|يتواجد فيها|تتواجد فيها|يتواجد فيه|تتواجد فيه|ينقل معدات|معدات|"
    r"السفاره|سفاره|القنصليه|المصالح|مصالح|"
    r"شركه|شركات|تفريق|لتفريق|يفرق|تفرق|عطت|عطوا|اعطت|منح|تؤوي|يؤوي|ايواء|تاوي|ياوي|"
    # (whom a convoy or a company serves: «رتل يحمل معدات لصالح قوات الاحتلال», «شركة متعاونة مع الاحتلال»)
    r"لصالح|لحساب|المتعاونه مع|المتعاون مع|متعاونه مع|المتعاقدين مع|المتعاقده مع|المتعاقد مع|"
    # (the dialect's genitive after a target: «ضربت همر مال الجيش», the army's humvee; not «الـ C-RAM مال
    # الأمريكان فجّر مسيّرة», the Americans' weapon acting)
    r"(?:همر|همرات|عجله|عجلات|سياره|سيارات|رتل|ارتال|دوريه|بيت|مقر|سيطره|تريلات|شاحنات|مخزن) (?:مال|مالت|ماله)|"
    r"دكوا|دكت|دكو|رشق|ورشق|رشقوا|رشقت|يرشقون"
)
_OBJECT_BEFORE_EN = (
    r"(?<!\w)(?:targeting|targeted|targets|target|against|on(?!\s+(?:monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday)(?!\w))|at|struck|strikes|hit|hits|hitting|attacked|attacking|"
    r"pounded|pounding|shelled|bombed|ambushed|raided|"
    r"killed|killing|arrested|warn|warns|warned|warning|threaten|threatens|threatened|give|gives|gave|given|giving|to|"
    r"of|hosts|hosting|housing|carrying|contracted by|supplying|for|sheltering|harbouring|harboring)"
    r"\s+(?:the\s+)?(?:\S+\s+){0,2}$"
)
# (a preposition on the name's own word too: «على عجلة منتسب بالشرطة الاتحادية»)
_OBJECT_BEFORE = re.compile(rf"(?:{_OBJECT_WORDS_AR})\s*(?:\S+\s+){{0,2}}[ب]?$|{_OBJECT_BEFORE_EN}")
# what ``_any_state_object`` reads as a force attacked: as ``_OBJECT_BEFORE``, and any ل/ال in the three words
# before the mention too («من ابطال الجيش»: the army's men are the ones hit; a clash, not violence against
# civilians)
_ARMED_OBJECT_BEFORE = re.compile(rf"(?:{_OBJECT_WORDS_AR}|ل|لل|ال)\s*(?:\S+\s+){{0,2}}$|{_OBJECT_BEFORE_EN}")
# a mention that names whose target it is ("a US logistics convoy", "near the US Embassy", "coalition supply
# trucks"): the one acted on, whatever comes before it
_TARGET_AFTER = re.compile(r"(?:'s)?\s+(?:(?:logistics|supply|military|diplomatic|forces'?)\s+)?"
                           r"(?:convoy|convoys|embassy|consulate|base|bases|facility|facilities|installation|installations|"
                           r"interests|contractor|contractors|trucks|personnel|compound|headquarters)(?!\w)")
# ... and one that an attack befell ("US forces at Al-Asad came under rocket attack", «قواتنا ... تعرضت لهجوم»),
# up to six words on (whole words: «\W*\S+» repeated split each word every way it could, 0.7 ms a long post)
_PASSIVE_AFTER = re.compile(r"\W*(?:\S+\s+){0,6}?\S*?(?:came under|come under|comes under|coming under|were attacked|"
                            r"was attacked|were targeted|was targeted|"
                            # («تتعرض لإحدى نقاط الحشد» is "attacks a PMF post": only an attack noun after it)
                            r"(?:تعرضت|تعرض|تتعرض|يتعرض) (?:ل|لل|ال)?(?:هجوم|استهداف|قصف|اطلاق|ضربه|اعتداء)|"
                            # dialect passives («البيشمركة انضربت من داعش»)
                            r"انضربت|انضرب|انضربوا|انقصفت|انقصف|انقصفوا|انكتلوا|انكتل)(?!\w)")
# ... and one named just after «تعرض» with the attack's li- noun later in its clause («تعرض مقر اللواء 45 في الحشد
# الشعبي بقضاء القائم فجر اليوم لهجوم بطائرة مسيرة»: the PMF's headquarters was attacked)
_SUBJECTED_BEFORE = re.compile(r"(?<!\w)[وف]?(?:تعرض|تعرضت|يتعرض|تتعرض)\s+(?:\S+\s+){1,4}$")
_SUBJECTED_TO_AFTER = re.compile(r"[^.،,!?؟\n:]{0,120}?(?<!\w)(?:ل|لل)(?:هجوم|قصف|استهداف|ضربه|اعتداء)(?!\w)")
# ... and the forces that only arrive or investigate after it («والشرطة تفتح تحقيقا», "police are investigating"):
# neither side of the event
# (told with the verb first: «فتحت شرطة ميسان تحقيقا», «وقد فرضت القوات الأمنية طوقاً على المنطقة»)
_PROBE_BEFORE = re.compile(r"(?<!\w)[و]?(?:فتحت|تفتح|فتح|يفتح|فرضت|تفرض|فرض|باشرت|تباشر)\s*$")
_PROBE_AFTER = re.compile(r"(?:\s+\S+)?\s+(?:تحقيقا|تحقيقات|تحقيق|طوقا|طوق)(?!\w)")
_BYSTANDER_AFTER = re.compile(r"\W*(?:\S+\W+)?(?:تفتح تحقيقا|فتحت تحقيقا|تحقق|وصلت|طوقت|تطوق|arrived|are investigating|"
                              r"is investigating|opened an investigation|cordoned)(?!\w)")
# ... and one that speaks ("KH statement:", "KSS says", «سرايا أولياء الدم: الرتل القادم لن يمر»)
_SPEAKER_AFTER = re.compile(r"(?:'s)?\s*(?::|(?:statement|says|said|warns|warned|vows|vowed|threatens|threatened|"
                            r"announces|announced|claims|claimed|تتبنى|يتبنى|تبنت|تعلن|يعلن|اعلنت)(?!\w))")
_SPEAKER_KINDS = frozenset({"militia", "front", "insurgent"})  # (the police or an army that "says" is the source)
# ... and a state's body that is only the source of the report: a masthead («مديرية أسايش السليمانية: قصفت طائرة
# تركية ...», "IDF: a UAV launched from Iraq was intercepted"), a source inside it («مصدر أمني في قيادة شرطة
# الديوانية»), "police say". It reports what others did; it acts only where the text says it did
# (``_OUR_FORCES_AFTER``, an operation of its own)
_MASTHEAD_AFTER = re.compile(r"(?:'s)?(?:\s+[^\s:|]+){0,3}?\s*(?:[:|]|\s[-–]\s*بيان(?!\w))")
_SAYS_AFTER = re.compile(r"(?:\s+(?:spokesman|spokesperson|officials?|sources?))?\s+(?:says|said|say|told|reported|"
                         r"reports|stated)(?!\w)(?!\s+(?:that\s+)?(?:it|its|they|their|our)(?!\w))|"
                         r"\s+(?:تؤكد|يؤكد|اكدت|تقول|يقول|قالت|افادت|ذكرت|صرحت)(?!\w)"
                         r"(?!\s+(?:ان )?(?:قواتها|قطعاتها|طائراتها))")
_SOURCE_BEFORE = re.compile(r"(?:(?<!\w)(?:مصدر|مصادر|مسؤول|متحدث)(?: امني| امنيه| مطلع| رفيع)? (?:في|من|ب)|"
                            r"(?<!\w)(?:بحسب|حسب|وفقا ل|نقلا عن|منقول عن|منقول من)|according to|"
                            r"sources? (?:in|from|at|within)|"
                            r"(?:a |an )?(?:official|spokesman|spokesperson) (?:in|from|for|with))\s*(?:\S+\s+){0,2}$")
_LI_BEFORE = re.compile(r"(?:^|\s)[وف]?ل$")
_OWNED_WEAPON_BEFORE = re.compile(r"(?:طائره|طائرات|طياره|مسيره|مسيرات|درون|مدفعيه|راجمه|صواريخ|مروحيه|مقاتله)"
                                  r"(?: \S+)? (?:تابعه|التابعه|تابع|التابع|تعود)\s*$")
# ... but any side that speaks of "our forces" acting is the one acting («وزارة الدفاع التركية: قواتنا حيدت»,
# "Federal Police: our units ambushed")
# (a state's or a faction's own units, in the first person)
_OUR_UNITS_AR = r"قواتنا|قطعاتنا|وحداتنا|طائراتنا|مقاتلاتنا|مسيراتنا|مدفعيتنا"
_OUR_FORCES_AFTER = re.compile(r"(?:'s)?\s*(?::|(?:statement|says|said|announced|تعلن|يعلن|اعلنت)\W)\W*(?:\S+\s+){0,2}?"
                               rf"(?:{_OUR_UNITS_AR}|ابطالنا|مقاتلونا|مقاتلينا|مجاهدونا|مجاهدينا|"
                               r"our (?:forces|troops|units|fighters|aircraft|jets))(?!\w)")
# ... and a state's statement, under its masthead, that tells its own forces' act anywhere in it («وزارة الدفاع
# التركية: تم تحييد 4 ارهابيين ... بعمليات نفذتها قواتنا البطله»): the state acted
_OUR_FORCES = re.compile(rf"(?<!\w)(?:{_OUR_UNITS_AR})(?!\w)|"
                         r"(?<!\w)our (?:heroic |brave )?(?:forces|troops|units|commandos|soldiers|aircraft|"
                         r"jets)(?!\w)")
_RETURNED_FIRE = re.compile(r"(?:ردت|رد|وردت)\s*$|\s+(?:ردت|ترد|ردوا|returned fire|responded|repelled)(?!\w)")
# a front named as the one a claim's label belongs to («لواء الثار للقاده – احد تشكيلات المقاومه الاسلاميه في
# العراق», "described itself as one of the formations of the Islamic Resistance in Iraq"): the claimant's
_MEMBER_OF_BEFORE = re.compile(r"(?:احد|احدي|من) (?:تشكيلات|فصائل|الوية|الويه|كتائب)\s*$|"
                               r"(?:one of the |part of the |a |an )(?:formations?|factions?|groups?|members?|"
                               r"brigades?) (?:of|in|within) (?:the )?$")
# ... and one that condemns what was done («كتائب حزب الله تدين العدوان ...», "KH condemns the US strike"): the
# one it was done to, if anyone
_CONDEMN_AFTER = re.compile(r"(?:'s)?\s+(?:\S+\s+)?(?:تدين|يدين|ادانت|تستنكر|يستنكر|استنكرت|condemns|condemned|"
                            r"denounces|denounced)(?!\w)")
# ... and protesters who strike, storm or burn («المتظاهرين ضربوا الشرطة», "protesters stormed the office")
# a group that mourns its fighter («كتائب سيد الشهداء تنعى أحد مقاتليها الذي ارتقى بغارة») is the side hit
_MOURNS_AFTER = re.compile(r"\s+(?:\S+\s+)?(?:تنعي|ينعي|نعت|نعي|تزف|يزف|زفت|زف|mourns|mourned)(?!\w)")
# a nation's adjective after a weapon's noun is the one that struck («القصف المدفعي التركي», «غارة جوية أمريكية»)
# (a strike's noun: drones or jets named so may be what was hit, «مرابض الطائرات المسيرة الأمريكية»)
# (and the enemy's aviation, «طيران العدو الأمريكي»)
_WEAPON_NOUN_BEFORE = re.compile(r"(?<!\w)[وب]?(?:ال)?(?:قصف|غاره|غارات|ضربه|ضربات)(?:\s+(?:ال)?[^\s]+ي(?:ه)?)?\s+$|"
                                 r"(?<!\w)[وب]?(?:ال)?طيران\s+(?:العدو|الاحتلال|المحتل)\s+$")
# ... and an air force's, a raid's own: «بغارة للطيران الإسرائيلي»
_RAID_OF_BEFORE = re.compile(r"(?<!\w)[وب]?(?:ال)?(?:غاره|غارات|ضربه|ضربات|قصف)(?:\s+(?:جويه|جوي))?\s*$")
_NATIONAL_ADJECTIVE = re.compile(r"(?:ال)?[^\s]+(?:ي|يه)$")
_RIOT_AFTER = re.compile(r"\s+(?:\S+\s+){0,2}?(?:ضربوا|رشقوا|يرشقون|اقتحموا|يقتحمون|هاجموا|يهاجمون|احرقوا|حرقوا|يحرقون|"
                         # (dialect plurals drop the alif: «المتظاهرين اقتحمو مقر الحزب وحرگوه»)
                         r"ضربو|رشقو|اقتحمو|هاجمو|حرقو|حرگو|حركو|اضرمو|كسرو|حرگوا|حركوا|كسروا|"
                         r"يضرمون|اضرموا|stormed|storm|torched|set fire|attacked|threw|pelted|burned|burnt)(?!\w)")
_RIOTER_KINDS = frozenset({"civilian", "party"})
# ... and one whose forces did it ("U.S. Central Command forces conducted strikes", "Badr fighters launched a
# sweep"; not "a US convoy struck by an IED")
_ACTED_AFTER = re.compile(r"(?:'s)?(?:\s+(?!was|were|been|being|is|are)[\w']+){0,3}?\s+"
                          r"(?:conducted|carried out|launched(?! (?:a |an )?(?:search|investigation|probe|manhunt))|"
                          r"bombed|shelled|pounded|raided|ambushed|struck(?! by)|"
                          # ("Federal Police units killed two ISIS militants"; not "two soldiers killed in an IED")
                          r"killed(?= (?:two|three|four|five|six|several|\d+|an?|the|at least)\b))(?!\w)|"
                          # ... or attacked it, right after its name ("Islamic State militants attacked a position")
                          # ... or says it did ("the Israeli military said on Thursday its aircraft had struck")
                          r"(?:'s)?\s+(?:said|says|announced|claimed)(?:\s+(?:on|late|early|in)\s+(?:\S+\s+){1,2}?)?"
                          r"\s*(?:that\s+)?(?:it|they|its \w+|their \w+)\s+(?:had\s+|have\s+|has\s+)?"
                          r"(?:struck|hit|targeted|fired|launched|shelled|bombed|attacked|conducted|carried out)(?!\w)|"
                          # ... or is the one "who attacked" ("police killed two ISIS militants who attacked their
                          # post")
                          r"(?:\s+[\w']+)?\s+who\s+(?:had\s+)?(?:attacked|ambushed|stormed|targeted|raided|shelled|"
                          r"fired on|fired at)(?!\w)|"
                          r"(?:'s)?(?:\s+(?!was|were|been|being|is|are|say|says|said)[\w']+)?\s+"
                          r"(?:attacked(?! by)|targeted(?! by)|stormed|assassinated|planted|detonated|"
                          r"fired (?:\w+ ){0,2}?(?:on|at|rockets|mortars?|shells|missiles|drones|live rounds))(?!\w)|"
                          # ... in Arabic, the verb after the name, a word between at most, not a phrase with bi- or li-
                          # («الاسايش ضربوا رصاص على المتظاهرين», «مجهولون يلقون قنبله»; «حزب الله بغارة ... استهدفت»
                          # is not Hezbollah's strike)
                          r"[)\]»\"]?(?:\s+(?![بل])[^\s.،,:!?؟]+)?\s+(?:هاجموا|هاجمت|هاجم|هجموا|هجمت|هجمو|اقتحموا|اقتحمت|"
                          r"طلعوا علي|طلعو علي|"
                          # («القوات الأمريكية نفّذت الضربات "دفاعاً عن النفس"»)
                          r"نفذت الضربه|نفذت الضربات|نفذت الغاره|نفذت الغارات|نفذت الهجوم|نفذ الهجوم|نفذوا الهجوم|"
                          r"نفذت القصف|"
                          r"ضربوا رصاص|ضرب رصاص|ضربت رصاص|"
                          r"رموا رصاص|رمو رصاص|فتحوا النار|فتحت النار|فتح النار|اطلقوا النار|اطلقت النار|اطلق النار|"
                          r"اطلقوا الرصاص|اطلقت الرصاص|اطلق الرصاص|يطلقون النار|يطلقون الرصاص|يلقون|القوا|القي|القى|"
                          r"رمى|رموا|اغتالوا|اغتالت|استهدفوا|استهدفت|قصفت|قصفوا|دكوا|دكت|دكو|"
                          # (the force that killed or ambushed: «الشرطة الاتحادية كتلت اثنين دواعش», «البيشمركة
                          # نصبوا كمين لخلية داعش»)
                          r"كتلت|كتلوا|قتلت|قتلوا|نصبوا كمين|نصبت كمين|نصبوا كمينا|نصبت كمينا|"
                          # (the one accused: «اتهم التيار الصدري عصائب أهل الحق بالوقوف وراء اغتيال»)
                          r"بالوقوف وراء|بالوقوف خلف|بتنفيذ)(?!\w)|"
                          # ... or is said to be the one who struck («الحشد يگول امريكا هي اللي ضربت»)
                          r"\s+(?:هي|هو|هم)\s+(?:اللي|الي|التي|الذي|الذين)\s+(?:ضربت|ضرب|ضربوا|قصفت|قصف|قصفوا|"
                          r"استهدفت|استهدف|استهدفوا|هاجمت|هاجم|هاجموا|نفذت|نفذ|نفذوا|رمت|رمى|رموا)(?!\w)")
# ... or is accused of the act itself, after a verb of accusing in its sentence («اتهمت عشيرة البو عامر، في بيان،
# عناصر من عصائب أهل الحق بقتل أحد أبنائها»; not «استشهاد قيادي في الحشد الشعبي بقصف مسيرة», nor a denial)
_ACCUSED_OF_AFTER = re.compile(r"[)\]»\"]?\s+(?:بقتل|باغتيال|بخطف|باختطاف|باستهداف|بتفجير|بقصف|بالهجوم|بالاعتداء|"
                               r"بالقصف|بالتفجير|بشن|باطلاق|بالوقوف)(?!\w)")
# ... or is the accusation's object itself («الأهالي كلهم يتهمون داعش», "residents blamed ISIS"): the accused group
# (the plural verb only: a singular one before a name is the accuser's, «اتهم صالح محمد العراقي ... عصائب أهل الحق»)
_ACCUSES_JUST_BEFORE = re.compile(r"(?<!\w)[و]?(?:يتهمون|اتهموا|يحملون|حملوا|"
                                  r"accused|accuses|accuse|blamed|blames|blame|blamed on|blaming)\s+"
                                  r"(?:(?:كلهم|جميعهم|صراحه|مباشره|the|it on|them on)\s+)?$")
# a group that denies a part in it («AAH denied online reports it was behind the shelling», «نفت النجباء»): not
# its side (a force that denies casualties still is: only factions, fronts, insurgents and parties)
_DENIES_AFTER = re.compile(r"(?:'s)?\s+(?:has\s+|have\s+|had\s+)?(?:denied|denies|deny|denying|تنفي|ينفي|نفت|نفى|"
                           r"ينفون|نفوا)(?!\w)")
_DENIES_BEFORE = re.compile(r"(?<!\w)[و]?(?:نفت|نفى|تنفي|ينفي)\s+$")
_DENIER_KINDS = frozenset({"militia", "front", "insurgent", "party"})
# a name a group calls itself («تبنت مجموعة تطلق على نفسها اسم STAT هجوما», "a group calling itself ..."): read as
# if the name stood where the group noun does
_CALLS_ITSELF_BEFORE = re.compile(r"(?:(?:مجموعه|جماعه|جهه|فصيل|group|outfit|faction)\s+)?(?:تطلق على نفسها|"
                                  r"يطلق على نفسه|تطلق علي نفسها|يطلق علي نفسه|تسمي نفسها|يسمي نفسه|تدعى|تدعي|"
                                  r"calling itself|calls itself|that calls itself|known as)\s+(?:اسم\s+)?[«\"“(]?$")
# an attacker named by the insurgency's adjective («قناص داعشي», «انتحاري داعشي»): the group acted
_ATTACKER_ADJECTIVE = re.compile(r"(?:داعشي|الداعشي|داعشيه|الداعشيه)$")
_ATTACKER_NOUN_BEFORE = re.compile(r"(?<!\w)(?:قناص|انتحاري|انغماسي|ارهابي|مسلح|عنصر|عناصر|مجموعه|خليه)\s+$")
_ACCUSES_BEFORE = re.compile(r"(?<!\w)[و]?(?:اتهم|اتهمت|يتهم|تتهم|يتهمون|اتهموا|تتهمها)(?!\w)[^.!?؟\n]*$")
# ... and one that claims it (the claim is the act's own record, not a report of another's act)
_CLAIMED_AFTER = re.compile(r"(?:'s)?\s+(?:(?:later|also|then|subsequently|quickly|swiftly)\s+)?"
                            r"(?:claimed|claims|claiming|تتبنى|يتبنى|تبنت|تبنى)(?!\w)|"
                            # («أصحاب الكهف طلعوا بيان يتبنوها»)
                            r"(?:\s+(?:طلعوا|طلع|طلعت|نزلت|نزلوا|نزل|اصدرت|اصدر|نشرت|نشروا|نشر))?"
                            r"(?:\s+(?:بيان|بيانا|ببيان))?\s+(?:يتبنوها|يتبنونها|يتبنون|تبنوا|تبنوها|تتبناها|يتبناها|"
                            r"تبنتها|تبناها)(?!\w)|"
                            # («أعلن تنظيم داعش، في بيان ...، مسؤوليته عن قتل»)
                            # (not one that denies it: «حركة النجباء تنفي مسؤوليتها عن استهداف»)
                            r"(?:[\s،,]+(?!تنفي|ينفي|نفت|نفي|نفى|تنفى|عدم|لا(?!\w))[^\s،,]+){0,9}?[\s،,]+"
                            r"(?:مسؤوليته|مسؤوليتها|مسؤوليتهم|مسووليته|مسووليتها)"
                            r"\s+(?:عن|على|علي)(?!\w)")
# (on a word edge, a «و», «ف» or «ب» allowed: «قال» is not the end of «انتقال», nor «اكد» of «تاكد»)
_WORD_EDGE = r"(?:(?<!\w)|(?<=\s[وفب])|(?<=^[وفب]))"
# the words of one who announces or speaks («تعلن», «بيان», «قال», «المتحدث باسم»)
_SPEECH_AR = r"اعلنت|اعلن|تعلن|يعلن|بيان|بيان ل|قال|قالت|صرح|اكد|اكدت|المتحدث باسم|الناطق باسم"
# the words before a name that make it a speaker only (``_SUBJECT_BEFORE`` takes them as the subject's too)
_SAID_BEFORE = re.compile(rf"{_WORD_EDGE}(?:{_SPEECH_AR}|spokesman for|statement by|statement from)"
                          r"\s*(?:\S+\s+){0,1}$")
_SENTENCE_END = re.compile(r"[.!?؟](?=\s)")
_SUPPORT_BEFORE = re.compile(r"(?:باسناد|واسناد|بدعم|بمسانده|بمشاركه|بالتنسيق مع(?!\w)|in coordination with|"
                             r"with (?:the )?support (?:of|from)|backed by|"
                             r"supported by|with air support from)\s*(?:من\s+)?(?:\S+\s+){0,1}$|"
                             r"دعما\s*(?:ل|لل)?$|in support of (?:the )?$")
# ... and one named as what the attack answers («رداً على جريمة اغتيال قادة الحشد», "in retaliation for the
# strike on KH"): neither side of this event
_REASON_BEFORE = re.compile(r"(?:ردا علي|ردا على|رد علي|رد اولي علي|ثارا ل|انتقاما ل|in response to|in retaliation for|"
                            r"retaliation for|revenge for)[^.،,!?؟\n]{0,30}$")
# the hand an attack was told by («اغتيال مختار ... على يد مسلحين مجهولين»; of a threat, the killing it avenges:
# its author is the one who threatens)
_BY_HAND_BEFORE = re.compile(r"(?<!\w)(?:علي يد|علي ايدي|at the hands of)\s*(?:\S+\s+){0,1}$")
# (... and the hand of the killing it avenges: «ثأراً لاغتيال إخوتنا في بغداد على يد الطائرات الأمريكية»)
# (run for every mention: a ``Scan``, so a post that never says «على يد» is not searched)
_AVENGED_BY_BEFORE = Scan(re.compile(r"(?:ثارا|انتقاما|ردا)[^.!?؟\n]{0,70}علي (?:يد|ايدي)\s*(?:\S+\s+){0,1}$"),
                          ("علي يد", "علي ايدي"))
# ... and one that names the weapon it struck with or its attack ("a US drone struck his car", "Turkish jets", "in
# an ISIS attack", "came under ISIS mortar fire"): the one acting
_WEAPON_AFTER = re.compile(r"(?:'s)?\s+(?:(?:armed|military|attack)\s+)?"
                           r"(?:drone|drones|airstrike|airstrikes|air strike|air strikes|strike|strikes|"
                           r"warplane|warplanes|jet|jets|aircraft|helicopter|helicopters|gunship|gunships|artillery|attack|"
                           r"attacks|assault|ambush|raid|mortar|mortars|rocket|rockets|shelling|sniper|gunfire|fire|"
                           r"gunmen|"
                           # (or the leaflets it threatens with: "ISIS leaflets threatening mukhtars")
                           r"leaflets|leaflet|flyers|posters)(?!\w)")
# "in response to the US aggression": the strike a claim answers, not the one it claims
_ANSWERS_BEFORE = re.compile(r"(?:رد|ردا|الرد|ردها|انتقاما|ثارا)(?: \w+)? (?:علي|علی|ل)|"
                             r"in (?:response|retaliation) (?:to|for)")
# a form that names a state by the weapon it struck with («طيارة تركية», «الطيران الأمريكي», «قصف إيراني»)
_WEAPON_FORM = re.compile(r"(?:ال)?(?:طائره|طائرات|طياره|طيارات|مسيره|مسيرات|غاره|غارات|ضربه|ضربات|قصف|صواريخ|"
                          r"طيران|درون|"
                          r"مقاتلات|مدفعيه|عدوان|اعتداء)(?!\w)|"
                          r"[a-z]+ (?:air ?strikes?|strikes?|drones?|jets|warplanes|artillery|shelling|missiles?)$")
# the group whose plan or cells a warning reports is its author ("warns of an ISIS plan", «مخطط لخلايا داعش»)
_PLOTTER_AFTER = re.compile(r"(?:\S+\s+){1,2}?(?:plan|plans|plot|plots)(?!\w)")
# («نيه» on a word edge: «القوات الامنيه ضربت المعلمين» states no intention of the teachers)
_PLOTTER_BEFORE = r"مخطط ل|مخططا ل|مخططات ل|(?<!\w)[وب]?نيه|(?<!\w)[وب]?نوايا|"
_SUBJECT_BEFORE = re.compile(
    _WORD_EDGE +
    rf"(?:{_PLOTTER_BEFORE}توقيع|بتوقيع|تعرضا ل|تعرض ل|تعرضات ل|هجوم ل|هجوما ل|هجمات ل|بهجوم ل|"
    r"(?<!نصبوا )(?<!نصبت )(?<!نصب )كمين ل|(?<!نصبوا )(?<!نصبت )(?<!نصب )كمينا ل|بكمين ل|يتهم|تتهم|اتهم|اتهمت|"
    r"هجوم شنه|"
    r"من قبل|بواسطه|نفذه|نفذها|نفذته|زرعها|زرعتها|زرعوها|وضعها|وضعتها|"
    r"تبنت|تبنى|تبني|يتبني|تتبني|رشقهم|رشقتهم|مجاهدو|مقاتلو|"
    # (whose leaflets: «منشورات منسوبة لداعش», «منشورات تحمل شعار داعش»)
    r"منسوبه ل|منسوبه الي|تحمل شعار|بشعار|"
    # (the killers after the verb and its victims: «جثث ستة رعاة قتلهم عناصر داعش»)
    r"قتلهم|قتلتهم|قتلته|قتلها|اغتاله|اغتالته|اغتالوه|اختطفهم|اختطفته|خطفهم|خطفته|"
    # (the attackers after the verb: «هاجم مجهولون ليلة امس فرعا», «استهدف مسلحون دورية»)
    r"هاجم|هاجمت|استهدف|"
    # («اغتال مسلحون مجهولون ناشطا», «اختطف مسلحون», «أقدم محتجون على إحراق»)
    r"اغتال|اغتالت|اختطف|اختطفت|اقدم|اقدمت|اقدموا|"
    r"انضربت من|انضرب من|انضربوا من|انقصفت من|انقصف من|"
    rf"{_SPEECH_AR}|"
    # (by the bullets, the fire of: «اغتيال مسؤول ... برصاص مسلحين مجهولين»; the shooter after the verb:
    # «اطلقت القوات الامنيه الرصاص», «فتح مسلحون النار»)
    r"برصاص|بنيران|اطلقت|اطلق|فتحت|فتح|قامت|قام|قاموا)\s*(?:\S+\s+){0,1}"
    # (the group's gunmen: «بهجوم شنه مسلحون من عصائب اهل الحق», «قامت عناصر من بقايا عصابات داعش بـ»)
    # (or a group of them: «هاجمت مجموعة من أبناء عشيرة»)
    r"(?:(?:مسلحون|مسلحين|عناصر|مجموعه|مجموعه مسلحه|جماعه|افراد|gunmen|militants|fighters|members)"
    r"\s+(?:من|from|of)\s+(?:the\s+)?"
    r"(?:بقايا\s+|remnants of\s+)?)?[«\"“(]?$|"
    r"(?<!\w)(?<!contracted )(?<!owned )(?<!operated )(?<!hired )(?<!used )"
    r"(?:by|claimed by|carried out by|spokesman for|statement by|statement from|accuse|accuses|accused|blame|"
    r"blames|blamed)"
    r"\s+(?:the\s+)?(?:\S+\s+){0,1}$"
)

# What a protest is held at, when the text says so ("outside the Directorate of Education", «گدام مبنى ديوان
# المحافظة»): farmers at the water resources directorate and lecturers at the education directorate of one
# city on one morning are two protests. Each name is one institution however it is written (a directorate,
# its ministry, its company); the first one named just after a word of place («امام», «گدام», "outside",
# "stormed") is the protest's.
PROTEST_SITES: list[tuple[str, Rx]] = [
    ("governorate building", _rx("ديوان محافظه", "ديوان المحافظه", "مبني محافظه", "مبني المحافظه", "بنايه المحافظه",
                                 "مجلس محافظه", "مجلس المحافظه", "الحكومه المحليه", "governorate building",
                                 "governorate headquarters", "provincial council", "provincial government",
                                 "governor's office", "governorate offices")),
    ("education directorate", _rx("تربيه", "التربيه", "education directorate", "directorate of education",
                                  "ministry of education", "education ministry", "education office")),
    ("water resources directorate", _rx("الموارد المائيه", "water resources")),
    ("electricity directorate", _rx("الكهرباء", "كهرباء", "electricity directorate", "electricity department",
                                    "electricity distribution", "power directorate", "electricity ministry",
                                    "ministry of electricity")),
    ("health directorate", _rx("دائره صحه", "مديريه صحه", "الصحه", "مستشفي", "health directorate",
                               "health department", "hospital")),
    ("agriculture directorate", _rx("الزراعه", "مديريه زراعه", "agriculture directorate",
                                    "directorate of agriculture", "agriculture office")),
    ("oil company", _rx("شركه نفط", "شركه النفط", "وزاره النفط", "حقل", "مصفي", "oil company", "oil ministry",
                        "ministry of oil", "oil field", "oilfield", "refinery")),
    ("port", _rx("ميناء", "port")),
    ("university", _rx("جامعه", "university")),
    ("municipality", _rx("البلديه", "بلديه", "municipality")),
    ("court", _rx("محكمه", "court")),
]
_SITE_CUE = re.compile(r"(?:امام|گدام|كدام|قدام|مقابل|بوابه|بوابات|باب|داخل|اقتحام|اقتحموا|اقتحم|يقتحمون|"
                       r"اقتحمو|مبني|بنايه|outside|in front of|gates? of|gate|stormed|storming|storm|into)"
                       r"(?:\s+\S+){0,2}\s*$")


def protest_site(norm: str) -> str | None:
    """The institution a protest is held at (``PROTEST_SITES``), when a word of place comes just before it."""
    first = min(((m.start(), name) for name, rx in PROTEST_SITES for m in rx.finditer(norm)
                 if _SITE_CUE.search(norm[max(0, m.start() - 30) : m.start()])), default=None)
    return first[1] if first else None


TARGET_NOUNS: list[tuple[str, Rx]] = [
    (
        "logistics convoy",
        _rx(
            "رتل دعم لوجستي",
            "رتل للدعم اللوجستي",
            "رتل لوجستي",
            "ارتال الدعم اللوجستي",
            "logistics convoy",
            "logistic convoy",
            "supply convoy",
        ),
    ),
    ("convoy", _rx("رتل", "ارتال", "convoy", "convoys")),
    ("base", _rx("قاعده", "قواعد", "base", "bases", "airbase", "air base")),
    ("headquarters", _rx("مقر", "مقرات", "headquarters", "hq", "offices")),
    ("checkpoint", _rx("سيطره", "نقطه تفتيش", "سيطرات", "checkpoint", "checkpoints")),
    ("patrol", _rx("دوريه", "دوريات", "patrol", "patrols")),
    ("embassy", _rx("سفاره", "embassy")),
    ("consulate", _rx("قنصليه", "consulate")),
    ("airport", _rx("مطار", "airport")),
    ("oil field", _rx("حقل", "حقول", "oil field", "gas field", "field")),
    ("refinery", _rx("مصفى", "refinery")),
    ("position", _rx("موقع", "مواقع", "تجمعات", "ثكنه", "position", "positions", "outpost")),
    ("vehicle", _rx("عجله", "عجلات", "اليه", "اليات", "سياره", "vehicle", "vehicles", "car", "truck")),
    ("house", _rx("منزل", "دار", "بيت", "house", "home")),
    ("shop", _rx("محل", "محال", "shop", "store", "liquor store")),
]

# --- numbers ---------------------------------------------------------------------------------------------
_AR_NUM = {
    "واحد": 1,
    "واحده": 1,
    "اثنان": 2,
    "اثنين": 2,
    "اثنتين": 2,
    "اثنتان": 2,
    "ثلاث": 3,
    "ثلاثه": 3,
    "اربع": 4,
    "اربعه": 4,
    "خمس": 5,
    "خمسه": 5,
    "ست": 6,
    "سته": 6,
    "سبع": 7,
    "سبعه": 7,
    "ثمان": 8,
    "ثماني": 8,
    "ثمانيه": 8,
    "تسع": 9,
    "تسعه": 9,
    "عشر": 10,
    "عشره": 10,
    "عشرين": 20,
    "عشرون": 20,
    "ثلاثين": 30,
    "ثلاثون": 30,
    "اربعين": 40,
    "خمسين": 50,
    "مئه": 100,
    "ميه": 100,
    "مائه": 100,
}
_EN_NUM = {
    "one": 1,
    "a": 1,
    "an": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "dozen": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
}
_DUAL = {"قتيلين": 2, "شهيدين": 2, "جريحين": 2}
_DUAL_NOUNS = {
    "جنديين",
    "شخصين",
    "ضابطين",
    "عنصرين",
    "طفلين",
    "شرطيين",
    "منتسبين اثنين",
    "مدنيين اثنين",
    "مقاتلين اثنين",
    "امراتين",
    "شقيقين",
    "راعيين",
    "مزارعين اثنين",
}
_KILLED = _rx(
    "قتلى",
    "قتيل",
    "قتيلين",
    "مقتل",
    "استشهاد",
    "شهداء",
    "شهيد",
    "شهيدين",
    "مصرع",
    "لقي حتفه",
    "لقوا حتفهم",
    "قتل",
    "killed",
    "killing",
    "dead",
    "deaths",
    "fatalities",
    "died",
    "martyred",
    "martyrs",
    "slain",
    "killed",
    "lost their lives",
)
_INJURED = _rx(
    "جرحى",
    "جريح",
    "جريحين",
    "اصابه",
    "اصابات",
    "مصابين",
    "مصاب",
    "اصيب",
    "اصيبوا",
    "جرح",
    "wounded",
    "injured",
    "injuring",
    "wounding",
    "injuries",
    "hurt",
)
_NO_CASUALTIES = _rx(
    "دون وقوع اصابات",
    "دون اصابات",
    "لا اصابات",
    "لم تسفر عن اصابات",
    "دون خسائر بشريه",
    "no casualties",
    "no injuries",
    "without casualties",
)
_TOKEN = re.compile(r"\d+|[\w']+")
_AR_PREFIX = ("و", "ب", "ل", "ال", "وال", "بال")

# --- time ------------------------------------------------------------------------------------------------
# word edges for Arabic alternatives: letters and harakat continue a word, Arabic punctuation («،», «؛», «؟»)
# ends it as any other («عصر غد،»)
_B = r"(?<![\u064b-\u065f\u0670\w])"
_E = r"(?![\u064b-\u065f\u0670\w])"
TIMES: list[tuple[str, int, int, Rx]] = [  # (basis, days back, Baghdad hour, pattern)
    ("dawn yesterday", 1, 4, re.compile(rf"{_B}(?:فجر|فجريه) (?:يوم )?امس{_E}|dawn yesterday|early yesterday")),
    ("yesterday morning", 1, 9, re.compile(rf"{_B}صباح (?:يوم )?امس{_E}|yesterday morning")),
    ("yesterday evening", 1, 19, re.compile(rf"{_B}(?:مساء|عصر) (?:يوم )?امس{_E}|yesterday (?:evening|afternoon)")),
    (
        "last night",
        1,
        22,
        re.compile(
            rf"{_B}(?:ليله امس|الليله الماضيه|البارحه|البارحه الليل|امس بالليل){_E}"
            r"|last night|overnight"
        ),
    ),
    ("yesterday", 1, 12, re.compile(rf"{_B}(?:يوم امس|امس|بالامس|البارحه|اليوم السابق){_E}|yesterday")),
    (
        "dawn today",
        0,
        4,
        re.compile(
            rf"{_B}(?:فجر اليوم|فجر هذا اليوم|فجر هذا){_E}|at dawn today|at dawn|"
            r"early this morning|in the early hours|before dawn"
        ),
    ),
    ("this morning", 0, 9, re.compile(rf"{_B}(?:صباح اليوم|صباح هذا اليوم|هذا الصباح|الصبح){_E}|this morning")),
    ("this afternoon", 0, 15, re.compile(rf"{_B}(?:ظهر اليوم|عصر اليوم|بعد ظهر اليوم){_E}|this afternoon")),
    ("this evening", 0, 19, re.compile(rf"{_B}(?:مساء اليوم|هذا المساء){_E}|this evening")),
]
# a protest called for the next day (dialect «باچر», «باكر»; «غدا», "tomorrow")
_TOMORROW = re.compile(rf"{_B}(?:باچر|باجر|باكر|بكره|غدا|يوم غد|صباح الغد|ظهر الغد|عصر الغد|مساء الغد|"
                       rf"عصر غد|ظهر غد|صباح غد|مساء غد|ليله غد|فجر غد){_E}|(?<!\w)tomorrow(?!\w)")
# a gathering named right after "tomorrow" («باچر وقفة المهندسين بالتحرير», "tomorrow's rally"), or the going
# out to it in the first person or the dialect («باچر الساعة ٩ الصبح نطلع للتقاطع», «باچر طالعين»; not what
# protesters threaten to do: «اذا باچر ما تتحسن نسد الدوائر»): the day it is held, as a call's
_GATHERING = re.compile(r"(?:'s)? *(?:(?:ال)?(?:وقفه|تظاهره|مظاهره|اعتصام|اضراب|مسيره)|نطلع|نتجمع|نتظاهر|نعتصم|"
                        r"يتجمعون|يتظاهرون|يعتصمون|طالعين|rally|protest|march|strike|sit in|"
                        r"demonstration)(?![\u0621-\u064a\w])")


def _gathering_after(norm: str, pos: int) -> bool:
    """A gathering named in the few words after ``pos``, in the same clause («باچر وقفة المهندسين», «باچر
    الخميس الساعة تسعة الصبح اعتصام مفتوح»)."""
    clause = _CLAUSE_END.split(norm[pos : pos + 45], maxsplit=1)[0]
    return any(_GATHERING.match(norm, pos + m.start()) for m in re.finditer(r"(?:^|(?<=\s))", clause))


WEEKDAY_NAMES = {
    0: ("الاثنين", "monday"),
    1: ("الثلاثاء", "tuesday"),
    2: ("الاربعاء", "wednesday"),
    3: ("الخميس", "thursday"),
    4: ("الجمعه", "friday"),
    5: ("السبت", "saturday"),
    6: ("الاحد", "sunday"),
}
# "on Tuesday", «يوم الثلاثاء», «ليلة الثلاثاء», "Tuesday night's attack" ("Friday's protest" is as often the
# coming one)
_DAY_NAMES = tuple(n for pair in WEEKDAY_NAMES.values() for n in pair)
_WEEKDAY = Scan(re.compile(r"(?:(?<!ال)يوم |ليله |(?<!\w)on )(" + "|".join(_DAY_NAMES) + r")|"
                           r"(?<!\w)(" + "|".join(en for _, en in WEEKDAY_NAMES.values()) + r")(?: night's| morning's| "
                           r"evening's| afternoon's)(?!\w)"), _DAY_NAMES)
# («اليوم السبت» is "today, Saturday": no weekday to move the event to)
_DAY_OF = {n: d for d, pair in WEEKDAY_NAMES.items() for n in pair}

_STATE_KINDS = {"state", "kurdish_state"}
_CLASHED_AFTER = re.compile(r"(?:'s)?(?:\s+\S+){0,2}?\s+(?:اشتبكت|اشتبك|اشتبكوا|تشتبك|يشتبكون|اشتبكو|"
                            r"تخوض اشتباكات|خاضت اشتباكات|خاضوا اشتباكات|يخوضون اشتباكات|"
                            r"clashed|clash|clashes|fought|are fighting|were fighting)(?!\w)")
_NEUTRALIZED = re.compile(r"(?<!\w)(?:neutrali[sz]ed|neutrali[sz]ing|تحييد|حيدت|حيدنا)(?!\w)"
                          r"|(?<!\w)etkisiz h[aâ]le getiril")  # (the Turkish MoD's own word)
_FRONTS_AND_PARTIES = frozenset({"saraya_al_salam"})  # (Saraya al-Salam guards the Sadrists' own sit-ins)
_FORCE_KINDS = frozenset(_STATE_KINDS | {"foreign_state"})  # any state's forces (a source, when it only reports)
# bases and missions that host US forces: an attack or threat on them is on US Forces when no one else is named
US_HOSTED = {
    "ain_al_asad",
    "harir_base",
    "al_tanf",
    "omar_field",
    "conoco",
    "tower_22",
    "kharab_al_jir",
    "camp_victory",
    "us_embassy_baghdad",
    "erbil_airport",
    "green_village",
    "shaddadi",
    "rmeilan",
    "tal_baydar",
    "union_iii",
    "muwaffaq_salti",
    "al_udeid",
    "ali_al_salem",
    "camp_arifjan",
    "camp_buehring",
    "us_consulate_erbil",
    "baghdad_airport",
    "balad_air_base",
}
_CIVILIAN_HINT = _rx(
    "سوق",
    "اسواق",
    "مدني",
    "مدنيين",
    "مواطن",
    "طفل",
    "اطفال",
    "ناشط",
    "صحفي",
    "محامي",
    "رجل دين",
    "market",
    "civilian",
    "civilians",
    "child",
    "children",
    "activist",
    "journalist",
    "lawyer",
    "cleric",
    "shepherds",
    "body of",
    # a shop, its owner, an employee's car, a shepherd: whom a grenade or a sticky bomb befalls
    "محل صياغه",
    "محل موبايلات",
    "محل مشروبات",
    "محلات",
    "صاحب المحل",
    "سياره موظف",
    "راعي اغنام",
    "shepherd",
    "shop",
    "shops",
    "store",
    "stores",
    "shopkeeper",
)
# the registry's groups that protest as themselves (a protest's assoc_actor_1; the story stage reads them too)
PROTEST_GROUPS = frozenset({"teachers", "graduates", "workers", "farmers", "retirees", "students", "journalists",
                            "truck_drivers", "turkmen", "sadrist_movement", "health_workers", "residents",
                            "families_of_disappeared"})
# groups that protest, and that are civilians where violence or a threat befalls them
_CIVILIAN_GROUPS = frozenset({"journalists", "truck_drivers", "turkmen", "health_workers", "residents"})
_SECURITY = {
    "isf",
    "cts",
    "erd",
    "federal_police",
    "police",
    "pmf",
    "peshmerga",
    "asayish",
    "saraya_al_salam",
    "unknown_gunmen",
}


class Extractor:
    def __init__(self, places: PlaceIndex | None = None, actors: ActorRegistry | None = None) -> None:
        self.places = places or PlaceIndex.default()
        self.actors = actors or ActorRegistry.default()
        self.cues = CueLexicon.default()

    # --- the record ------------------------------------------------------------------------------------
    def extract(self, text: str, labels: list[str] | tuple[str, ...], posted: datetime) -> Event | None:
        label = next((lb for lb in ("attack_claim", "protest", "threat") if lb in labels), None)
        if label is None:
            return None
        # (a roundup's event is its item that tells the label, read with the roundup's heading; a channel's
        # sign on its last line, «كربلاء لايف 🔴», "📡 الكرخ نيوز", is read apart: where it reports from)
        text, sign = split_sign(text)
        raw = clean_for_model(focus(text, label, self.cues) or text)
        norm = without_contrast(normalize_for_match(raw).replace("-", " "))
        mentions = _named_after_all(self.actors.find(norm, raw), self.actors.actors, norm)
        weapon, family = _weapon(norm)
        if label == "protest" or (label == "attack_claim" and "protest" in labels and _has(mentions, "protesters")):
            label = "protest"
            etype, sub = _protest_type(norm)
        elif label == "attack_claim":
            etype, sub = self._attack_type(norm, family, mentions)
        else:
            etype, sub = "Threat", "Threat"
        location = self._location(norm, mentions, label)
        if sign and location is None:
            # the channel's sign says where it reports from: the event's place only when the text names none
            location = self._location(normalize_for_match(clean_for_model(sign)).replace("-", " "), [], label)
        actor1, assoc1, actor2, assoc2, roles = self._roles(norm, mentions, label, etype, sub)
        # the actors a verb of attack follows («سرايا السلام هجموا», "army artillery pounded"), read once for the
        # protest's attacker and a clash's sides
        verb = frozenset(m.actor for m in mentions if _ACTED_AFTER.match(norm, m.end))
        attacker = (self._protest_attacker(roles, verb) if label == "protest" and "attack_claim" in labels
                    else None)
        if attacker is not None:
            # a protest attacked, told as an attack («مجهولون يلقون قنبلة على خيمة اعتصام», "Federal Police
            # fired live rounds to disperse protesters"): the attackers act, the protesters are hit (every claims
            # writer's reading; ``assoc_actor_2`` keeps which group protested). State forces: excessive force;
            # gunmen or a faction: violence against civilians
            reg = self.actors.actors
            if reg[attacker].kind in _FORCE_KINDS:
                etype, sub = "Protests", "Excessive force against protesters"
            else:
                etype, sub = "Violence against civilians", "Attack"
            actor1, assoc1, actor2, assoc2 = reg[attacker].name, None, reg["protesters"].name, assoc1
        elif sub == "Excessive force against protesters" and "attack_claim" in labels and actor2 is not None:
            # live fire on a sit-in told as an attack: the forces that fired act, the protesters are hit
            actor1, assoc1, actor2, assoc2 = actor2, None, actor1, assoc1
        if label != "protest":
            actor1, actor2 = self._defaults(norm, mentions, etype, actor1, actor2, location, roles, verb)
        fatalities, injured = casualties(norm)
        time, basis = event_time(norm, posted, label)
        return Event(
            event_type=etype,
            sub_event_type=sub,
            plover=EVENT_TYPES[etype][sub],
            label=label,
            event_time=iso(time),
            time_basis=basis,
            actor1=actor1,
            assoc_actor_1=assoc1,
            actor2=actor2,
            assoc_actor_2=assoc2,
            target=self._target(norm, actor2) if label != "protest" else protest_site(norm),
            # a protest keeps only the riot-control weapons used on it (a teachers' "strike" is no airstrike)
            weapon=weapon if (family == "riot") == (label == "protest") or family in ("grenade", "small") else None,
            fatalities=fatalities,
            injured=injured,
            location=location,
        )

    def _protest_attacker(self, roles: dict[str, str], verb: frozenset[str]) -> str | None:
        """Who attacked a protest, in a post flagged both ``protest`` and ``attack_claim``: the first force,
        faction or insurgent named as acting, or gunmen named at all (protesters are never "gunmen"). Saraya
        al-Salam, which guards the Sadrists' own sit-ins, only where an attack's verb follows its name
        («سرايا السلام هجموا على خيم المتظاهرين»)."""
        reg = self.actors.actors
        acting = [a for a, role in roles.items() if role == "subject"
                  and reg[a].kind in _FORCE_KINDS | {"militia", "insurgent"}
                  and (a not in _FRONTS_AND_PARTIES or a in verb)]
        return acting[0] if acting else (UNKNOWN_GUNMEN if UNKNOWN_GUNMEN in roles else None)

    def _defaults(
        self,
        norm: str,
        mentions: list[Mention],
        etype: str,
        actor1: str | None,
        actor2: str | None,
        location: Location | None,
        roles: dict[str, str],
        verb: frozenset[str],
    ) -> tuple[str | None, str | None]:
        """What the roles leave open, filled from conventions: in a clash the insurgent or unidentified side
        first and the forces second; both sides of a tribal fight are tribesmen; an attack on a base that
        hosts US forces (or on a place in Israel) is on them; violence against civilians, or a blast in a
        market, has civilians as the second actor. A force that acts on an insurgent the text names as the one
        acted on ("the PMF says its fighters killed 3 ISIS militants", «البيشمركة ضربوا الدواعش») stays first.
        ``roles``: each mentioned actor's role (``_roles``); ``verb``: the actors a verb of attack follows."""
        reg = self.actors.actors
        if etype == "Battles":
            ids = list(dict.fromkeys(m.actor for m in mentions))
            irregular = [a for a in ids if reg[a].kind in ("insurgent", "unknown")]
            accused = [a for a in irregular[1:] if roles.get(a) == "subject"]
            if irregular[:1] == [UNKNOWN_GUNMEN] and accused:
                # («اغتال مسلحون ... ويتهم ذوو الضحية عصابات داعش بتنفيذ الجريمة»: the gunmen are the accused group's)
                irregular = [accused[0]] + [a for a in irregular if a != accused[0]]
            named = [a for a in ids if reg[a].kind == "militia" and roles.get(a) != "object"]
            if irregular == [UNKNOWN_GUNMEN] and named and _has_kind(mentions, reg, _STATE_KINDS):
                irregular = named[:1]  # «الجيش ... ومسلحي وحدات مقاومة سنجار ... المسلحون»: the gunmen are its
            forces = [
                a
                for a in ids
                if reg[a].kind in _FORCE_KINDS
                or (reg[a].kind == "militia" and a not in irregular)
            ]
            acting = [a for a in forces if roles.get(a) != "object"]
            # (or the force, named first, starts it: a raid, an ambush, a sweep, an airdrop)
            # (or "neutralized" them: the Turkish MoD's word for the militants its forces killed)
            # (or a verb of attack follows a force's name: «الشرطة الاتحادية كتلت اثنين دواعش», "army artillery
            # pounded"; under a force's masthead, its unit's: «هيئة الحشد الشعبي: قوة من اللواء 26 نصبت كميناً»)
            # (or the force named first is the subject of the clash: «الأسايش اشتبكوا ويه جماعة مسلحة», "Basra
            # police clashed with gunmen"; ACLED's side told first)
            started = bool(acting and ids[0] == acting[0] and (
                OPERATION.search(norm) or _NEUTRALIZED.search(norm)
                or any(a in verb for a in acting) or _CLASHED_AFTER.match(norm, mentions[0].end)))
            if (irregular and acting and (roles.get(irregular[0]) == "object" or (
                    started and roles.get(irregular[0]) != "subject")) and not REPELLED.search(norm)
                    and actor1 in {reg[a].name for a in acting}):
                lead = mentions[0]
                if started and lead.start < 40 and _MASTHEAD_AFTER.match(norm, lead.end):
                    actor1 = reg[lead.actor].name
                return actor1, reg[irregular[0]].name
            if irregular and forces:
                return reg[irregular[0]].name, reg[forces[0]].name
            # (a fight between tribes that the police report or step into, «قوة من الشرطة تتدخل لفض النزاع»: the
            # tribesmen on both sides, unless they fired on the force or it acted with a verb of attack)
            if ("tribes" in ids and TRIBAL.search(norm) and forces
                    and not any(roles.get(a) == "object" or a in verb for a in forces)):
                return reg["tribes"].name, reg["tribes"].name
            # (a fight between tribes: police or the army named as arriving, or as a bystander, are not its side;
            # one the tribesmen are said to have fired on is)
            if actor1 == reg["tribes"].name and (actor2 is None or (TRIBAL.search(norm) and not any(
                    roles.get(a) == "object" for a in ids if reg[a].name == actor2))):
                return actor1, actor1
        if actor2 is None and location is not None and etype != "Strategic developments":
            if location.place in US_HOSTED and actor1 != reg["us_forces"].name:
                actor2 = reg["us_forces"].name
            elif location.country == "Israel" and actor1 != reg["israeli_forces"].name:
                actor2 = reg["israeli_forces"].name
        if (
            actor2 is None
            and (etype == "Violence against civilians" or _CIVILIAN_HINT.search(norm))
            and etype not in ("Strategic developments", "Battles")
        ):
            actor2 = reg["civilians"].name
        if actor2 is None and actor1 == reg["turkish_forces"].name and etype == "Explosions/Remote violence":
            actor2 = reg["pkk"].name  # a Turkish strike in Iraq is on the PKK unless the text names another side
        if etype == "Strategic developments" and actor2 is None and _TERRORIST.search(norm):
            actor2 = reg["isis"].name  # «اعتقال ارهابي»: in Iraqi security reporting, an ISIS member
        if actor1 is None and etype == "Strategic developments" and not _has_kind(mentions, reg, _STATE_KINDS):
            actor1 = reg["isf"].name  # an arrest or a device defused with no side named: the security forces
        if actor2 is None and actor1 != reg["isf"].name and etype in ("Battles", "Explosions/Remote violence") \
                and _SOLDIERS.search(norm) and not _CIVILIAN_HINT.search(norm):
            actor2 = reg["isf"].name  # «مقتل جنديين بهجوم لداعش»: the soldiers' side
        return actor1, actor2

    # --- type -------------------------------------------------------------------------------------------
    def _attack_type(self, norm: str, family: str | None, mentions: list[Mention]) -> tuple[str, str]:
        if REPELLED.search(norm) or (TRIBAL.search(norm) and family not in _SUB_OF_FAMILY):
            return "Battles", "Armed clash"  # an attack fought off, a tribal fight: two armed sides
        if DISRUPTED.search(_FALLS.sub(" ", norm)) and not _HIT_DESPITE.search(norm):
            return "Strategic developments", "Disrupted weapons use"
        if family in _SUB_OF_FAMILY:
            return _SUB_OF_FAMILY[family]
        if ABDUCTION.search(norm):
            return "Violence against civilians", "Abduction/forced disappearance"
        if ARREST.search(NO_ARREST.sub(" ", norm)) and not CLASH.search(norm):
            return "Strategic developments", "Arrests"
        armed = _any_state_object(norm, mentions, self)
        if CLASH.search(norm) and (armed or len({m.actor for m in mentions}) > 1):
            return "Battles", "Armed clash"
        if not armed and (
            ASSASSINATION.search(norm) or KILL_CIVILIAN.search(norm) or family == "small" or _KILLED.search(norm)
        ):
            return "Violence against civilians", "Attack"
        return "Battles", "Armed clash"

    # --- actors -----------------------------------------------------------------------------------------
    def _roles(
        self, norm: str, mentions: list[Mention], label: str, etype: str, sub: str
    ) -> tuple[str | None, str | None, str | None, str | None, dict[str, str]]:
        reg = self.actors.actors
        seen: dict[str, str] = {}  # actor id -> role ("subject" | "object" | "")
        source: set[str] = set()  # state bodies only reporting (``_MASTHEAD_AFTER``, ``_SAYS_AFTER``, ...)
        acted: set[str] = set()  # named with the act itself ("gunmen from AAH attacked"), not only as a speaker
        struck: set[str] = set()  # ... as the weapon that struck («طائرة مسيرة اسرائيلية», "Turkish jets")
        verbed: set[str] = set()  # ... with its own verb or weapon after it (not a subject by position only)
        befell: set[str] = set()  # ... named as what an attack befell («تعرض مقر ... لهجوم»)
        # (a state's own forces told in the first person: the only state named is the one that acted)
        states = {m.actor for m in mentions if reg[m.actor].kind in _FORCE_KINDS}
        # (not forces that were attacked, «قواتنا ... تعرضت لهجوم», nor that only returned fire, «ردت قواتنا»)
        ours = len(states) == 1 and any(
            not _PASSIVE_AFTER.match(norm, o.end()) and not _RETURNED_FIRE.match(norm, o.end())
            and not _RETURNED_FIRE.search(norm, max(0, o.start() - 12), o.start()) for o in _OUR_FORCES.finditer(norm))
        accused: set[str] = set()  # ... as the one an accusation names («اتهم ... عصائب أهل الحق بالهجوم»)
        for m in mentions:
            # (the words before it in its own sentence: "... of the crossing. Israel has not commented")
            before = _SENTENCE_END.split(norm[max(0, m.start - 40) : m.start])[-1]
            if (_SUPPORT_BEFORE.search(before) or _REASON_BEFORE.search(before)
                    or _AVENGED_BY_BEFORE.search(norm, max(0, m.start - 100), m.start)):
                continue  # «باسناد من طيران الجيش», "backed by coalition aircraft": it helped, the others acted
            if reg[m.actor].kind in _DENIER_KINDS and not m.person and (
                    _DENIES_AFTER.match(norm, m.end) or _DENIES_BEFORE.search(before)):
                continue
            if (reg[m.actor].kind in _STATE_KINDS and _PROBE_BEFORE.search(before)
                    and _PROBE_AFTER.match(norm, m.end)):
                continue  # it investigates what others did
            if (called := _CALLS_ITSELF_BEFORE.search(before)) is not None:
                before = before[: called.start()]  # («تبنت مجموعة تطلق على نفسها اسم STAT»: «تبنت STAT»)
            # «للامريكان» (li- + al-: "to the Americans") is the one addressed or acted on, unless a subject's
            # word comes before the li- («هجوم للحشد»: the PMF's attack)
            # (or a li- the form did not include: «أوكار لعصابات داعش», «رتل لقوات التحالف»; not al-)
            li = m.form.startswith("لل")
            lam = li or _LI_BEFORE.search(before) is not None
            # («طيارة تركية», «الطيران الأمريكي», «بغارة للطيران الإسرائيلي»: the one striking)
            armed = _WEAPON_FORM.match(m.form) is not None or (
                m.form.startswith("لل") and _WEAPON_FORM.match("ال" + m.form[2:]) is not None
                and _RAID_OF_BEFORE.search(before) is not None)
            # ... or the nation whose strike it was, its adjective after the weapon («القصف المدفعي التركي»)
            # (not an earlier strike this one came after: «جاء بعد يومين من الضربة الأمريكية في القائم»)
            armed = armed or (_NATIONAL_ADJECTIVE.fullmatch(m.form) is not None
                              and _WEAPON_NOUN_BEFORE.search(before) is not None
                              and not _CAME_AFTER.search(norm, max(0, m.start - 90), m.start))
            # ... or the weapon's owner («بغارة لطائرة مسيرة تابعة للتحالف الدولي», «مدفعية تابعة للجيش التركي»)
            armed = armed or (lam and _OWNED_WEAPON_BEFORE.search(before) is not None)
            # (a protesting group's "strike" is a walk-out: "a teachers' strike")
            acts = bool(armed or (_WEAPON_AFTER.match(norm, m.end) and m.actor not in PROTEST_GROUPS)
                        or _ACTED_AFTER.match(norm, m.end)
                        or _CLAIMED_AFTER.match(norm, m.end)
                        or (_ATTACKER_ADJECTIVE.search(m.form) is not None
                            and _ATTACKER_NOUN_BEFORE.search(before) is not None))
            accusation = (_ACCUSED_OF_AFTER.match(norm, m.end) is not None
                          and _ACCUSES_BEFORE.search(norm, max(0, m.start - 80), m.start) is not None)
            if (accusation or _ACCUSES_JUST_BEFORE.search(before)) and not _DENIES_AFTER.match(norm, m.end):
                acts = True
                accused.add(m.actor)
            speaks = _SPEAKER_AFTER.match(norm, m.end) is not None
            said = speaks or _SAID_BEFORE.search(before) is not None
            if reg[m.actor].kind == "front" and _MEMBER_OF_BEFORE.search(norm[max(0, m.start - 40) : m.start]):
                acts = True
            if (reg[m.actor].kind in _FORCE_KINDS and ours and not lam and m.start < 40
                    and _MASTHEAD_AFTER.match(norm, m.end)):
                acts = True  # (the masthead's: a faction's statement says «ابطالنا» of its own)
            subjected = (_SUBJECTED_BEFORE.search(before) is not None
                         and _SUBJECTED_TO_AFTER.match(norm, m.end) is not None)
            role = (
                "subject"
                if m.person or acts or _SUBJECT_BEFORE.search(before + ("ل" if li else ""))
                or (label != "threat" and _BY_HAND_BEFORE.search(before))
                or _PLOTTER_AFTER.match(norm, m.start)
                or (not lam and reg[m.actor].kind in _SPEAKER_KINDS and speaks)
                or ((of := _OUR_FORCES_AFTER.match(norm, m.end)) is not None
                    and not _PASSIVE_AFTER.match(norm, of.end()))  # («قواتنا ... تعرضت لهجوم»: attacked)
                or (reg[m.actor].kind in _RIOTER_KINDS and _RIOT_AFTER.match(norm, m.end))
                else ("object" if lam or _CONDEMN_AFTER.match(norm, m.end) or _OBJECT_BEFORE.search(before)
                      or _MOURNS_AFTER.match(norm, m.end)
                      or _TARGET_AFTER.match(norm, m.end) or _PASSIVE_AFTER.match(norm, m.end)
                      or subjected else "")
            )
            if role == "object" and subjected:
                befell.add(m.actor)
            if role == "subject" and (acts or not said):
                acted.add(m.actor)
                if acts:
                    verbed.add(m.actor)
                if armed and m.start < 150 and not DISRUPTED.search(before) and not _ANSWERS_BEFORE.search(before):
                    struck.add(m.actor)
            if (role != "subject" and reg[m.actor].kind in _STATE_KINDS
                    and _BYSTANDER_AFTER.match(norm, m.end)):
                continue
            if m.start < 3 and role == "object" and not _PASSIVE_AFTER.match(norm, m.end):
                role = ""  # (a headline's first name acts, unless an attack befell it: «رتل التحالف انضرب»)
            if not role and reg[m.actor].kind in _FORCE_KINDS and (
                    (m.start < 40 and _MASTHEAD_AFTER.match(norm, m.end)) or _SOURCE_BEFORE.search(before)
                    or _SAYS_AFTER.match(norm, m.end)):
                source.add(m.actor)
            if m.actor not in seen or (seen[m.actor] == "" and role) or (m.person and role == "subject"):
                seen[m.actor] = role
        name = {aid: reg[aid].name for aid in seen}
        if label == "protest":
            groups = [a for a in seen if a in PROTEST_GROUPS]
            forces = [a for a in seen if a in _SECURITY and a != "saraya_al_salam"]
            actor1 = reg["protesters"].name
            if (etype == "Riots" and sub == "Mob violence") or etype == "Riots":
                actor1 = "Rioters (Iraq)"
            assoc1 = name[groups[0]] if groups else None
            actor2 = None
            if sub in ("Protest with intervention", "Excessive force against protesters") or etype == "Riots":
                actor2 = name[forces[0]] if forces else None
            return actor1, assoc1, actor2, None, seen
        umbrella = [a for a in seen if reg[a].kind == "front"]
        order = list(seen)
        subjects = [a for a in order if seen[a] == "subject" and a not in ("civilians",)]
        # (one named with the act before one that only speaks of it: «سرايا السلام تعلن مقتل احد عناصرها بهجوم
        # شنه مسلحون من عصائب اهل الحق»)
        if label != "threat":  # (of a threat, the one who speaks is its author: "KH: any US strike ...")
            # (and the weapon that struck before one that accuses it: «اتهمت هيئة الحشد طائرة مسيرة اسرائيلية بقصف»)
            # (and one whose own verb follows it before one that is a subject by position only: «اتهم التيار
            # الصدري عصائب أهل الحق بالوقوف وراء اغتيال»)
            subjects = ([a for a in subjects if a in struck] + [a for a in subjects if a in verbed and a not in struck]
                        + [a for a in subjects if a in acted and a not in struck | verbed]
                        + [a for a in subjects if a not in acted])
            # (the accused of an accusation before unnamed gunmen: «مسلحين هاجموا بيت مختار ... والأهالي يتهمون
            # داعش»; ACLED's convention)
            if subjects[:1] == [UNKNOWN_GUNMEN] and (named := [a for a in subjects if a in accused]):
                subjects = [named[0]] + [a for a in subjects if a != named[0]]
        # (a group of civilians named without a role is where it happened, «حي ذي الغالبية التركمانية»)
        bystanders = [a for a in order if seen[a] == "" and reg[a].kind == "civilian" and a != "tribes"]
        plain = [a for a in order if seen[a] == "" and a not in bystanders]
        objects = [a for a in order if seen[a] == "object"]
        # a state body that only reports is neither side ("police say a grenade was thrown at the shop"), unless
        # it reports its own side's operation: an insurgent named, and no one else said to act («خلية الإعلام
        # الأمني: طيران القوة الجوية يوجه ضربة لأوكار داعش», "Turkish forces say operations killed PKK militants")
        # (not one it says it will carry out: «وتم تشكيل فريق تحقيق لملاحقة الجناة»)
        own_operation = any(norm[m.start() - 1 : m.start()] != "ل" for m in OPERATION.finditer(norm)) or (
            not subjects and any(
            reg[a].kind == "insurgent" for a in seen if a not in source))
        if etype not in ("Battles", "Strategic developments") and not own_operation:
            plain = [a for a in plain if a not in source]
        # a faction beats its front ("the Islamic Resistance in Iraq / Kata'ib Hezbollah"): the front is assoc;
        # anyone else named after the front is not its faction ("the Islamic Resistance says US bases ...")
        first = subjects + plain
        if first and first[0] in umbrella:
            first = [a for a in first if a not in umbrella and reg[a].kind == "militia"] or first
        actor1 = first[0] if first else None
        if actor1 is None and objects and len(objects) > 1 and label != "threat" and objects[0] not in befell:
            actor1 = objects.pop(0)  # (of a threat, every side named may be threatened: its author unsaid)
        rest = [a for a in objects if a != actor1] + [a for a in subjects + plain if a not in (actor1,)] + [
            a for a in bystanders if a not in ("civilians", "protesters", "residents")]
        rest = [a for a in rest if a not in umbrella or actor1 is None]
        if etype == "Violence against civilians" and not rest and "civilians" in seen:
            rest = ["civilians"]
        actor2 = rest[0] if rest else None
        assoc1 = None
        if actor1 and umbrella and actor1 not in umbrella:
            assoc1 = name[umbrella[0]]
        elif actor1 and reg[actor1].umbrella and reg[actor1].umbrella in seen:
            assoc1 = name[reg[actor1].umbrella]  # type: ignore[index]
        assoc2 = None
        if actor2 and len(rest) > 1 and reg[rest[1]].kind == reg[actor2].kind:
            assoc2 = name[rest[1]]
        if actor2 in _CIVILIAN_GROUPS:  # (ACLED: threatened journalists are civilians, the group associated)
            assoc2, actor2 = name[actor2], "civilians"
            name.setdefault("civilians", reg["civilians"].name)
        return (name[actor1] if actor1 else None, assoc1, name[actor2] if actor2 else None, assoc2, seen)

    # --- target -----------------------------------------------------------------------------------------
    def _target(self, norm: str, actor2: str | None) -> str | None:
        cue = re.search(
            r"ستهدف|ستهداف|(?<!\w)(?:targeting|targeted|targets|struck|hit|attacked|attack on|"
            r"attacks on)(?!\w)|هجوم على|هجوما على|ضد",
            norm,
        )
        window = norm[cue.end() : cue.end() + 70] if cue else norm[:120]
        noun = next((name for name, rx in TARGET_NOUNS if rx.search(window)), None)
        if noun is None:
            return None
        owner = None
        if actor2:
            owner = next((a.short for a in self.actors.actors.values() if a.name == actor2), None)
        base = None
        if noun == "base":
            for _, _, pid, _ in self.places.find(window):
                res = self.places.resolve(pid)
                if res and res.level == "place":
                    base = res.name
                    break
        if base:
            return f"{base} base" if "base" not in base.lower() and "camp" not in base.lower() else base
        return " ".join(x for x in (owner, noun) if x)

    # --- location ---------------------------------------------------------------------------------------
    def _location(self, norm: str, mentions: list[Mention], label: str | None = None) -> Location | None:
        spans = [(m.start, m.end) for m in mentions if m.end - m.start > 1 and not m.form.isupper()]  # (an acronym's
        # place in ``norm`` is approximate)
        found: list[tuple[int, Resolved, str]] = []
        named = self.places.find(norm)
        # districts and ambiguous place names written bare («بالعمارة», «#حرير», «قرب العظيم»), where no form
        # of the gazetteer covers them already
        named += [(start, end, pid, self.places.written_bare(pid, norm[start:end]))
                  for start, end, pid in bare_spans(norm) if not any(s < end and start < e for s, e, _, _ in named)]
        named_spans = sorted((start, end) for start, end, _, _ in named)
        road = _road_ends(norm, named_spans)
        ends = set(road)  # (the road's ends alone: ``road`` gathers the other places ranked after the rest)
        # (a hospital or a command is where the wounded were taken or who reported, but where a strike is held;
        # mourners who march protest where the funeral is)
        elsewhere_rules = _NOT_WHERE_IT_HAPPENED if label != "protest" else _NOT_WHERE_A_PROTEST_IS
        road |= {start for start, _, _, _ in named if _said_before(norm, start, elsewhere_rules)}
        origins = _origins(norm, named_spans)
        from classifiers.anchors import HEARER  # (anchors imports this package: not at module level)

        origins |= {start for start, _, _, _ in named if HEARER.search(norm[max(0, start - 40) : start])}
        # a news agency's dateline («وكالة الرافدين - بغداد ...», «بغداد - واع») says where the report was filed
        road |= {start for start, end, _, _ in named if _FILED_BEFORE.fullmatch(norm[:start])
                 or (not re.search(r"\w", norm[:start]) and _FILED_AFTER.match(norm, end))}
        # a place named for another event the post sets its own apart from ("separate from the Sulaiman Bek
        # IED: a roadside bomb hit ... on the Abu Ghraib expressway", «غير مرتبط بتفجير العمارة»)
        # or as what the event answers ("strikes near al-Qaim in response to the attack on Ain al-Asad")
        other = {start for start, _, _, _ in named if _said_before(norm, start, _ANOTHER_EVENTS)}
        for start, end, pid, form in named:
            if any(s <= start and end <= e for s, e in spans) or start in origins:
                continue  # a place inside an actor's name, or where the people came from
            res = self.places.resolve(pid)
            if res is not None:
                found.append((start, res, form))
        if not found:
            return None
        rank = {"place": 0, "district": 1, "governorate": 2, "country": 3}
        govs = {r.governorate for _, r, _ in found if r.governorate}
        named_govs = {r.place for _, r, _ in found if r.level == "governorate"}
        # a dateline («⭕️ المثنى | ...», "Samawah: ...") names the governorate the post is about, when it names one
        # (a statement's basmala may come first: «بسم الله الرحمن الرحيم السماوة | ...»); a place of another
        # governorate is then where something came from or went to («حصة مائية من سدة الهندية»)
        datelined = {r.governorate for pos, r, _ in found if r.governorate and _DATELINE.match(norm, pos)
                     and _OPENING.fullmatch(norm[:pos])}
        named_govs |= datelined
        iraq_named = any(r.country == "iraq" for _, r, _ in found)

        finer_in = {r.governorate for _, r, _ in found if r.level in ("place", "district")}
        towns = {r.governorate for pos, r, _ in found if r.level == "district" and pos not in road and pos not in other}

        def key(item: tuple[int, Resolved, str]) -> tuple[int, int, int, int, int, int, int, int, int]:
            pos, r, _ = item
            level = rank[r.level]
            city = 0
            if r.level == "place" and not r.district:
                level = 2  # "the Anbar desert", "the Hamrin mountains": a governorate's, coarser than a district
                city = -1  # (but finer than the governorate itself: «صلاح الدين ... المطيبيجة»: Mutaibija)
            if r.level == "governorate" and r.precision == "town":
                level = 1  # "Basra": the city, unless the post names a town or district of its governorate
                city = int(r.place in finer_in)  # («كركوك: ... في الحويجة»: Hawija)
            consistent = 0 if (r.governorate in named_govs or len(govs) <= 1) else 1
            foreign = 1 if (r.country != "iraq" and iraq_named and r.level == "country") else 0
            # a road's ends ("the Baghdad-Basra highway near Samawah") say which road, not where on it; a
            # witness's own place («احنا بالكرادة وسمعنا انفجارين من صوب الخضراء») not where the event was
            elsewhere = int(bool(datelined) and r.governorate not in datelined)
            # a neighbourhood's name that another governorate's town shares («بالطوز ... بحي جميلة»: not Baghdad's
            # Jamila): not finer than the town or district the post names, when none of those is in its governorate
            stray = int(r.level == "place" and bool(towns) and r.governorate not in towns
                        and (_QUARTER_BEFORE.search(norm[max(0, pos - 12) : pos]) is not None
                             or _QUARTER_WORD.match(norm, pos) is not None))
            return (foreign, int(pos in other), int(pos in road), elsewhere, stray, level, city, consistent, pos)

        _, best, form = min(found, key=key)
        gaz = self.places
        on_road = [r for pos, r, _ in found if pos in ends and not _STREET.search(norm[max(0, pos - 8) : pos])]
        districts = {r.district for r in on_road}
        if best.level == "governorate" and len(districts) == 1 and (district := districts.pop()) and all(
                r.governorate == best.place for r in on_road):
            # a road to or between places of one district («طريق الخالص - العظيم» in a Diyala roundup): that
            # district, not the whole governorate (a street's name, «شارع الكوفة» in Najaf, says nothing)
            best = gaz.resolve(district) or best
            form = best.name
        own = {r.place for _, r, _ in found if r.level == "governorate"}
        if best.country == "iraq" and not best.governorate and len(own) == 1:
            # a feature across governorates (the Hamrin range) in the one the post names ("Hamrin (Diyala)")
            best = replace(best, governorate=own.pop())
        seat = gaz.governorates.get(best.place, {}).get("seat") if best.level == "governorate" else None
        if seat and not best.district and _SEAT_BUILDING.search(norm):
            # «امام مبنى محافظة ميسان», "outside Maysan governorate office": the capital's district
            best = gaz.resolve(str(seat)) or best
        return Location(
            name=form,
            place=best.place,
            name_en=best.name,
            district=gaz.name(best.district) if best.district else None,
            governorate=gaz.name(best.governorate) if best.governorate else None,
            country=gaz.name(best.country),
            lat=best.lat,
            lon=best.lon,
            precision=best.precision,
        )


# a neighbourhood named as one («بحي جميلة», "the al-Askari neighbourhood of"): a name many towns' quarters share
_QUARTER_BEFORE = re.compile(r"(?:(?<!\w)[وب]?(?:حي|محله|منطقه)|neighbou?rhood|district of|quarter)\s*(?:ال)?$")
# ... or its name holds the word itself («حي جميلة», as the gazetteer writes it)
_QUARTER_WORD = re.compile(r"[وب]?(?:حي|محله|منطقه)(?!\w)")
_SEAT_BUILDING = re.compile(r"(?:ديوان|مبنى|مبني|بنايه|مقر) (?:ال)?محافظه|(?<!\w)governorate (?:building|office|"
                            r"offices|headquarters|hq)(?!\w)|governor's office")
_ROAD_BEFORE = re.compile(r"(?:طريق|الطريق|الطرق|الطرقات|شارع|road|roads|highway|route|routes)"
                          r"(?: السريع| الدولي| الرابط| الرابط بين| بين| من| between| from| to)?\s*$")
_STREET = re.compile(r"شارع\s*(?:ال)?$")
_ROAD_AFTER = re.compile(r"\s*(?:السريع |الدولي )?(?:road|highway|expressway|motorway|street)(?!\w)")
_ROAD_JOIN = re.compile(r"\s*(?:و|الى|الي|to|and|[–—])?\s*")  # («الى» is «الي» once normalised)


def _road_ends(norm: str, spans: list[tuple[int, int]]) -> set[int]:
    """Start offsets of the places named as a road's ends («طريق بغداد - كركوك», "the Baghdad-Basra highway",
    "highway to Basra") or a street's name («في شارع الكوفة» in Najaf, "Kufa Street"): a place right after
    "road"/«طريق»/«شارع», or right before "road"/"highway"/"street", and the place joined to such an end by
    a dash, "to" or "and"."""
    ends: set[int] = set()
    for start, end in spans:
        if _ROAD_BEFORE.search(norm[max(0, start - 25) : start]) or _ROAD_AFTER.match(norm, end):
            ends.add(start)
    for _ in range(2):  # spread along "X - Y", both ways
        for (s1, e1), (s2, _e2) in pairwise(spans):
            if _ROAD_JOIN.fullmatch(norm[e1:s2]) and (s1 in ends or s2 in ends):
                ends |= {s1, s2}
    return ends


# where people came from, or whom a sit-in calls on to join: «وصلت باصات من هيت والفلوجة», «نطلب من الزملاء في
# هيت الالتحاق», "buses arrived from Hit and Fallujah", "colleagues in Hit"; where the answer a sit-in waits for
# comes from («ما نفض الاعتصام الا يجي جواب من بغداد»)
_ORIGIN_WORD = (r"(?:(?<!\w)(?:وصلت|وصلوا|وصول|قادمين|قادمه|قادمون|جاوا|اجو|اجوا|باصات|حافلات|وفود|وفد|زملاء|"
                r"الزملاء|زملائنا|اخوتنا|الاخوه|اهلنا|يلتحق|الالتحاق|جواب|رد رسمي)|(?<!\w)(?:arrived|came|coming|"
                r"bused in|buses|busloads|delegations?|colleagues|joined by [\w']+|an answer))")
_ORIGIN = re.compile(rf"{_ORIGIN_WORD}\w*(?:(?:(?:\s+\S+){{0,2}}\s+(?:من|في|from|in)|(?:\s+\S+){{3}}\s+(?:من|from))"
                     # (a kind of place between: «زملاءنا في حقول الرميلة», "colleagues in the Rumaila fields")
                     r"(?:\s+(?:حقول|حقل|مدن|مدينه|قضاء|اقضيه|نواحي|ناحيه|محافظه|محافظات|the))?"
                     r"(?:\s+\S+\s*(?:و|and|,|،))?)?\s*$")
# ... or whose people a call asks to join («ندعو خريجي الأقضية (تلعفر، سنجار، الحمدانية) يلتحقون بينا», "we call on
# graduates from Tal Afar and Sinjar to join us")
_CALLED_FROM = re.compile(r"(?:(?<!\w)[و]?(?:ندعو|ندعوا|نطالب|نناشد)|(?<!\w)(?:we call on|we urge|calling on))\s+"
                          r"(?:\S+\s+)?(?:خريجي|اهالي|ابناء|شباب|طلاب|طلبه|معلمي|عمال|زملاءنا|زملائنا|"
                          r"graduates|people|residents|teachers|workers|colleagues)(?!\w)"
                          r"(?:\s+(?:الاقضيه|الاقضيه والنواحي|المحافظات|from|of|in|في|من))?\s*[(:]?\s*$")
# ... or a person's place of origin ("one lineman from Hilla told me", "a mother from Sadr City")
_PERSON_FROM = re.compile(r"(?<!\w)(?:one|a|an|another|two|three|some|many)\s+(?:\S+\s+)?(?:man|woman|men|women|"
                          r"lineman|linemen|worker|workers|teacher|teachers|protester|protesters|resident|residents|"
                          r"father|mother|driver|drivers|student|students|graduate|graduates|farmer|farmers|mourners?|"
                          r"participants?|locals?|activists?|retirees?|nurses?|doctors?|families|family|youths?)"
                          r"\s+from\s*$")
# (an item the gazetteer does not know may come between: «الرميلة والزبير وغرب القرنة»)
_LIST_JOIN = re.compile(r"\s*(?:و|and|,|،)\s*(?:[^\s.,،]+\s*(?:و|and|,|،)\s*)?")
# ... or a list of places whose people are on their way («الخريجين من الكوفة والمناذرة والحيدرية بالطريق»)
# (at a clause's end: «بالطريق الدولي» is a road)
_ON_THE_WAY = re.compile(r"(?:\s*(?:و|,|،)\s*[^\s.,،]+)?\s*(?:(?:بالطريق|في الطريق)(?: الينا| للاعتصام| الي الاعتصام)?"
                         r"\s*(?:[.,،!؟\n]|$)|(?:are |is )?(?:on (?:their|the) way|en route)(?!\w))")


def _origins(norm: str, spans: list[tuple[int, int]]) -> set[int]:
    """Start offsets of places named as where people came from (``_ORIGIN``, or a list followed by "on their
    way", ``_ON_THE_WAY``), and of places joined to one by "and" («من هيت والفلوجة»): not where the event is,
    and not read as its place."""
    found = {start for start, _ in spans if _ORIGIN.search(norm[max(0, start - 40) : start])
             or _CALLED_FROM.search(norm[max(0, start - 50) : start])
             or _PERSON_FROM.search(norm[max(0, start - 40) : start])}
    for (s1, e1), (s2, _e2) in pairwise(spans):
        if s1 in found and _LIST_JOIN.fullmatch(norm[e1:s2]):
            found.add(s2)
    found |= {start for start, end in spans if _ON_THE_WAY.match(norm, end)}
    for (s2, _e2), (s1, e1) in pairwise(reversed(spans)):  # (backwards: a list ends in its "on their way")
        if s2 in found and _LIST_JOIN.fullmatch(norm[e1:s2]):
            found.add(s1)
    return found


_OBSERVER = re.compile(r"(?:(?<!\w)(?:احنا|نحن|انا|اني|ساكن|ساكنين|نسكن|اسكن)\s*(?:ب|في |هنا ب|هنا في )?"
                       r"|(?<!\w)(?:we're|we are|i'm|i am|here) in )$")
# ... and one who heard it from afar («كلش سمعناها بحي الجهاد», "we heard them in Jihad"): where the hearer
# was, not where it fell (read as an origin: no place)
# an insurgent claim's header names the group's "province" («ولاية العراق - شمال بغداد»), not where the
# attack was: ranked like a road's ends, after the place its text names («على طريق الطارمية»)
_WILAYA = re.compile(r"(?<!\w)ولايه\s+\w+(?:\s+\w+)?\s*[-–—|:]?\s*(?:\w+\s+)?$")
# ... and where the attackers withdrew or fled to ("withdrew toward the Udhaim river valley», «لاذوا بالفرار
# باتجاه البساتين»): where they went, not where the attack was (a rocket fired "toward" a base is not: the
# base is its target)
# ... and the command that reported it or the hospital the wounded were taken to («مصدر في قيادة عمليات سامراء»,
# «نقل الى مستشفى سامراء العام», "Samarra Operations Command said"): whose office, not where it happened
# (ranked after the other places, as a road's ends are; alone, it still says where)
_OFFICE = re.compile(r"(?<!\w)(?:قياده عمليات|عمليات|مستشفي|مستشفى|مشفي)\s+(?:ال\w+\s+)?$")
_FLED = re.compile(r"(?:(?<!\w)(?:withdrew|withdrawing|retreated|fled|escaped|pulled back)\s+(?:\w+\s+)?(?:to|toward|"
                   r"towards|into)|(?<!\w)(?:انسحبوا|انسحب|انسحبت|فروا|فر|هربوا|هرب|بالفرار|لاذوا|لاذ)\s+(?:\w+\s+)?"
                   r"(?:باتجاه|نحو|الى|صوب))\s+(?:the\s+)?(?:\w+\s+)?$")


_OTHER_EVENT = re.compile(r"(?:(?<!\w)(?:separate|distinct|different) (?:\w+ )?from|unrelated to|"
                          r"not (?:\w+ )?(?:linked|connected|related)(?: by [\w ]{1,20}?)? to|(?<!\w)unlike|"
                          r"منفصل عن|منفصله عن|غير مرتبط ب|غير مرتبطه ب|لا علاقه له ب|"
                          r"لا علاقه لها ب|بخلاف)[^.:\n]{0,35}$")


# ... or as what came before it ("the strike came hours after a drone attack claimed by the Islamic Resistance
# on Ain al-Asad", «وتأتي الضربة بعد ساعات من استهداف قاعدة عين الأسد»): that other event's place
_CAME_AFTER = re.compile(r"(?:(?<!\w)(?:came|comes|follows|followed) (?:\w+ ){0,2}after|(?:جاء|جاءت|ياتي|تاتي) "
                         r"(?:\w+ ){0,2}بعد)[^.!?؟\n]{0,80}$")
# ... and the incident a while before which this one came («بعد اقل من ساعه على حادثه الكراده», "40 minutes
# after the Karrada attack"): the place just after it is that incident's
_AFTER_INCIDENT = re.compile(r"(?:(?<!\w)(?:minutes|hours|an hour|a day|days) after (?:the |a |an )?|"
                             r"(?<!\w)بعد (?:اقل من |اكثر من |نحو |حوالي |قرابه )?(?:\S+ )?(?:ساعه|ساعتين|ساعات|دقائق|"
                             r"دقيقه|يوم|يومين|ايام) (?:علي|على|من) (?:ال)?(?:حادثه|هجوم|انفجار|استهداف|تفجير|اعتداء)"
                             r"(?: \S+)? )$")

# What the words just before a place (each rule: a pattern ending at the place, and how far back it reads) say
# of it: a witness's, a "province" header's, where the attackers fled, an office's (ranked as a road's ends)
# ... and where the dead were mourned or buried («تشييع مهيب بكربلاء للشهيدين ... بهجوم داعش على نقطتهم بصحراء
# الرطبة», "the funeral procession will be held in Kirkuk"): their home town, not where they fell
_FUNERAL = re.compile(r"(?:(?<!\w)(?:تشييع|التشييع|جنازه|الجنازه|عزاء|مجلس عزاء|دفن)\s+(?:\w+\s+){0,2}?(?:ب|في\s+)?"
                      r"|(?<!\w)(?:funeral|funerals|mourners|burial|buried)\s+(?:\w+\s+){0,3}?(?:in|at)\s+)$")
_NOT_WHERE_IT_HAPPENED = ((_OBSERVER, 25), (_WILAYA, 30), (_FLED, 45), (_FUNERAL, 40), (_OFFICE, 30))
# ... but a protest is held where a funeral or an office is (see _location)
_NOT_WHERE_A_PROTEST_IS = tuple(rule for rule in _NOT_WHERE_IT_HAPPENED if rule[0] not in (_FUNERAL, _OFFICE))
# ... another event's: one set apart, one the event answers, one it came after (ranked last)
_ANOTHER_EVENTS = ((_OTHER_EVENT, 45), (_REASON_BEFORE, 45), (_CAME_AFTER, 90), (_AFTER_INCIDENT, 60))


def _said_before(norm: str, start: int, rules: tuple[tuple[Rx, int], ...]) -> bool:
    return any(rx.search(norm[max(0, start - back) : start]) for rx, back in rules)


_DATELINE = re.compile(r"[\w ]{2,40}?\s*[:|\-–—]")
_OPENING = re.compile(r"\W*(?:بسم الله الرحمن الرحيم\W*)?")  # what may come before a dateline
# (the extraction's text has its hyphens turned to spaces)
_FILED_BEFORE = re.compile(r"\W*(?:وكاله|agency|news agency)\s+\w+(?:\s+\w+)?\s*[\-–—:|]?\s*"
                           r"|\W*\w+(?:\s+\w+)?\s+(?:news agency|agency)\s*[\-–—:|]?\s*")
_FILED_AFTER = re.compile(r"\s*[\-–—(]?\s*(?:واع|\(?ina\)?|وكاله)(?!\w)")


_TERRORIST = _rx("ارهابي", "ارهابيين", "ارهابيا", "دواعش", "داعشي", "terrorist", "terrorists", "terror suspect")
_SOLDIERS = _rx("جندي", "جنديين", "جنود", "soldier", "soldiers", "troops")


_CALLING_ITSELF = re.compile(r"(?:تطلق|يطلق) علي (?:نفسها|نفسه)|(?:تسمي|يسمي) (?:نفسها|نفسه)|جماعه اسمها|"
                             r"calling itself|previously unknown group|little known group|a group (?:named|called)")
_ARMED_KINDS = frozenset({"militia", "front", "insurgent"})


_UNIT_FORMS = frozenset({"اللواء", "الفرقه"})
_GUNMEN_OF = re.compile(r"\s*(?:من|ينتمون ل|ينتمون الي|تابعين ل|تابعون ل|from|of|belonging to|loyal to|affiliated "
                        r"with|linked to)\s+(?:عناصر\s+|ما يسمى ب?\s*|the\s+|so-called\s+)?"
                        r"(?:(?:تنظيم|عصابات|عصابه|جماعه|ميليشيا|مليشيا|فصيل)\s+)?")


def _named_after_all(mentions: list[Mention], reg: dict[str, Any], norm: str) -> list[Mention]:
    """A "group calling itself" is an unidentified group unless the name it calls itself is one the registry
    knows («جماعة تطلق على نفسها اسم "عصبة الثائرين"»): then that group alone. A brigade or division named
    just before a faction or the PMF is theirs, not the army's."""
    out = []
    for m in mentions:
        if m.actor == UNKNOWN_GUNMEN and _CALLING_ITSELF.search(m.form) and any(
                reg[o.actor].kind in _ARMED_KINDS and m.end <= o.start <= m.end + 40 for o in mentions):
            continue
        if m.actor == UNKNOWN_GUNMEN and any(
                reg[o.actor].kind in _ARMED_KINDS and o.actor != UNKNOWN_GUNMEN and m.end < o.start <= m.end + 24
                and _GUNMEN_OF.fullmatch(norm[m.end : o.start]) for o in mentions):
            continue  # («بهجوم شنه مسلحون من تنظيم داعش», "gunmen from Kata'ib Hezbollah": that group's)
        if m.form in _UNIT_FORMS and any((o.actor == "pmf" or reg[o.actor].kind == "militia")
                                         and m.end < o.start <= m.end + 18 for o in mentions):
            continue  # («اللواء 45 في الحشد»: a brigade of the PMF, not the army's)
        out.append(m)
    return out


def _has_kind(mentions: list[Mention], reg: dict[str, Any], kinds: set[str]) -> bool:
    return any(reg[m.actor].kind in kinds for m in mentions)


def _has(mentions: list[Mention], actor: str) -> bool:
    return any(m.actor == actor for m in mentions)


def _any_state_object(norm: str, mentions: list[Mention], ex: Extractor) -> bool:
    """Whether the one attacked is a state or armed force (an attack on them is a clash, not violence
    against civilians)."""
    reg = ex.actors.actors
    for m in mentions:
        before = norm[max(0, m.start - 40) : m.start]
        if reg[m.actor].kind in _STATE_KINDS | {"foreign_state", "militia"} and _ARMED_OBJECT_BEFORE.search(before):
            return True
    return bool(
        re.search(r"منتسب|جندي|جنود|ضابط|مقاتل|عناصر|soldier|soldiers|officer|fighters|troops|policem", norm)
    ) and not re.search(r"ناشط|صحفي|activist|journalist|مدني|civilian", norm)


def _weapon(norm: str) -> tuple[str | None, str | None]:
    # (not a weapon named as the support the forces had: «بإسناد من طيران الجيش», "backed by army aviation")
    # (a weapon none of whose strings the text holds is not scanned for: ``Scan``)
    for name, family, rx in WEAPONS:
        if any(not _SUPPORT_BEFORE.search(norm[max(0, m.start() - 30) : m.start()]) for m in rx.finditer(norm)):
            return name, family
    return None, None


def _protest_type(norm: str) -> tuple[str, str]:
    if MOB.search(norm):
        return "Riots", "Mob violence"
    if EXCESSIVE.search(norm):
        return "Protests", "Excessive force against protesters"
    if VIOLENT_DEMO.search(norm):
        return "Riots", "Violent demonstration"
    if INTERVENTION.search(norm):
        return "Protests", "Protest with intervention"
    return "Protests", "Peaceful protest"


def _number(token: str) -> int | None:
    if token.isdigit():
        value = int(token)
        return value if value < 10000 else None
    if token in _EN_NUM:
        return _EN_NUM[token]
    for prefix in ("", *_AR_PREFIX):
        if token.startswith(prefix) and token[len(prefix) :] in _AR_NUM:
            return _AR_NUM[token[len(prefix) :]]
    return None


def _count_near(norm: str, rx: Rx, stop: Rx) -> int | None:
    """The count stated next to the first casualty word of ``rx``: a number just before it ("3 killed",
    "ثلاثة قتلى") or after it before the other kind of casualty word ("مقتل ثلاثة ... واصابة"), a dual
    ("قتيلين", "مقتل جنديين"), or one ("مقتل جندي", "a soldier was killed")."""
    for m in rx.finditer(norm):
        word = m.group(0)
        if word in _DUAL:
            return _DUAL[word]
        before = _TOKEN.findall(norm[max(0, m.start() - 40) : m.start()])[-3:]
        after_text = norm[m.end() : m.end() + 50]
        cut = stop.search(after_text)
        after = _TOKEN.findall(after_text[: cut.start()] if cut else after_text)[:4]
        for tok in reversed(before):
            if stop.fullmatch(tok) or rx.fullmatch(tok):
                break
            value = _number(tok)
            if value is not None:
                return value
        for i, tok in enumerate(after):
            value = _number(tok)
            if value is not None and not (tok in ("a", "an") and i > 0):
                return value
            if tok in _DUAL_NOUNS or " ".join(after[i : i + 2]) in _DUAL_NOUNS:
                return 2
        if (
            after
            and word in ("مقتل", "استشهاد", "اصابه", "مصرع", "اغتيال")
            and re.fullmatch(rf"[{_AR}]{{2,}}", after[0])
            and not re.search(r"(?:ين|ون|ات|اء)$", after[0])
            and not after[0].startswith("ال")
        ):
            return 1  # "مقتل جندي": one
        if before and before[-1] in ("a", "an", "one") and word in ("killed", "wounded", "injured", "dead"):
            return 1
    return None


def casualties(norm: str) -> tuple[int | None, int | None]:
    if _NO_CASUALTIES.search(norm):
        return 0, 0
    return _count_near(norm, _KILLED, _INJURED), _count_near(norm, _INJURED, _KILLED)


# a call or an announcement: the weekday it names is ahead ("calls for a rally on Saturday"), not behind
_CALL = _rx(
    "تدعو",
    "يدعو",
    "يدعون",
    "تدعوا",
    "دعوه",
    "دعوات",
    "سينظم",
    "ستنظم",
    "ستنطلق",
    "ستقام",
    "ينوون",
    "المقبل",
    "القادم",
    "ندعو",
    "نداء",
    "سيعقد",
    "ستعقد",
    "سيتم",
    "سوف",
    "يعلنون",
    "نعلن",
    "تعلن",
    "calls for",
    "call a strike",
    "calls a strike",
    "called a strike",
    "announce a strike",
    "announces a strike",
    "call for",
    "urge",
    "urges",
    "urged",
    "calling for",
    "called for",
    "calls on",
    "will hold",
    "will rally",
    "will protest",
    "will stage",
    "announced a march",
    "announced a rally",
    "announced a protest",
    "announced a sit-in",
    "announces a march",
    "announces a rally",
    "planned",
    "plan to",
    "next",
    "will",
    "to be held",
)
# a relative clause («الناشط الذي اغتيل امس», "the activist who was killed yesterday"): its time is another
# event's, not that of the protest the post reports
_RELATIVE = re.compile(rf"{_B}(?:الذي|التي|الذين|اللذين|اللتين|اللذان){_E}|(?<!\w)(?:who|which)(?!\w)")


def _baghdad(day: date, hour: int, posted: datetime) -> datetime:
    """``hour`` o'clock in Baghdad on ``day``, in the post's time zone."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=BAGHDAD).astimezone(posted.tzinfo)


def event_time(norm: str, posted: datetime, label: str | None = None) -> tuple[datetime, str]:
    """When the text puts its event, and the phrase that says so ("post": the post's time). ``label``
    "protest": a time inside a relative clause about another event does not move the protest, and a call
    moves it ahead (tomorrow, a weekday to come); any other label's time is never after the post's."""
    posted = utc(posted)
    local = posted.astimezone(BAGHDAD)
    if label == "protest" and (ahead := _TOMORROW.search(norm)) and (
            _CALL.search(norm[: ahead.end() + 12]) or _gathering_after(norm, ahead.end())):
        # a call for tomorrow («دعوة عامة ... باچر الساعة ٩ الصبح اعتصام»): its morning is tomorrow's (a
        # report of today's sit-in that says what comes tomorrow stays today's)
        day = local.date() + timedelta(days=1)
        return _baghdad(day, 12, posted), ahead.group(0)
    asides: list[tuple[int, int]] | None = None

    def in_aside(pos: int) -> bool:  # (looked for only once a time or a weekday is named)
        nonlocal asides
        if asides is None:
            from classifiers.anchors import ASIDE  # (anchors imports this package: not at module level)

            asides = [(a.start(), a.end()) for a in ASIDE.finditer(norm)]
        return any(start < pos < end for start, end in asides)

    for basis, back, hour, rx in TIMES:
        for m in rx.finditer(norm):
            if label == "protest" and _RELATIVE.search(norm[max(0, m.start() - 30) : m.start()]):
                continue
            if in_aside(m.start()):
                continue  # another incident's time ("Context: ... declared a 'legitimate target' last night")
            if _UNTIL_BEFORE.search(norm[max(0, m.start() - 8) : m.start()]):
                continue  # how long something lasts, «وقفوا بالسيطرة لحد الصبح»: not when the event was
            today = _TODAY_BEFORE.search(norm[max(0, m.start() - 8) : m.start()])
            if not back and label != "protest" and not today and (
                    earlier := _past_weekday(norm[: m.start()], local, posted)):
                return earlier  # "ISIS claimed Friday night's attack ... in a flash this morning": the claim's
                # morning, the attack's Friday
            day = local.date() - timedelta(days=back)
            when = _baghdad(day, hour, posted)
            return min(when, posted), basis
    # (a protest's weekday inside a relative clause is another event's: "demanding the arrest of those who
    # killed the activist on Thursday night")
    # (nor is a weekday in an aside about another incident: "NB: the refinery had an unrelated technical fire
    # on Thursday afternoon")
    # (nor is the end of a sit-in or an ultimatum, «مستمرين لحد يوم الأحد»: a day ahead, not the event's)
    m = next((w for w in _WEEKDAY.finditer(norm) if (label != "protest"
              or not _RELATIVE.search(norm[max(0, w.start() - 30) : w.start()]))
              and not _UNTIL_BEFORE.search(norm[max(0, w.start() - 8) : w.start()])
              and not in_aside(w.start())), None)
    if m:
        wanted = _DAY_OF[m.group(1) or m.group(2)]
        # the call comes before the weekday or just after it ("calls for a rally on Saturday", «يوم الجمعة
        # المقبل»), not in a later clause ("shot dead on Sunday evening; UNAMI urges the authorities ...")
        # (only a protest is called ahead: an attack told is past, and a threat's time is its statement's,
        # «تعلن ... مساء يوم الاثنين», "the deadline ends on Sunday")
        if label == "protest" and _CALL.search(norm[: m.end() + 12]):
            ahead = (wanted - local.weekday()) % 7
            if ahead:
                day = local.date() + timedelta(days=ahead)
                return _baghdad(day, 12, posted), m.group(0)
            return posted, "post"
        return _weekday_back(m, local, posted) or (posted, "post")
    return posted, "post"


# «لحد/لغاية/حتى/إلى يوم الأحد» (normalised): the weekday is how long something lasts or when a deadline ends
_UNTIL_BEFORE = re.compile(r"(?<!\w)(?:لحد|لغايه|حتي|الي|لين|until|till)\s*$")

# "today" said of the morning («يوم الاحد ضربوا دورية ...، واليوم الصبح ضربوا كيا ركاب»): the weekday before it is
# another day's event, not this one's
_TODAY_BEFORE = re.compile(r"(?:(?<!\w)[وف]?اليوم|(?<!\w)today)\s*$")


def _weekday_back(m: re.Match[str], local: datetime, posted: datetime) -> tuple[datetime, str] | None:
    """Noon of the past weekday ``m`` names (a ``_WEEKDAY`` match), with its phrase; None for today's."""
    back = (local.weekday() - _DAY_OF[m.group(1) or m.group(2)]) % 7
    return (_baghdad(local.date() - timedelta(days=back), 12, posted), m.group(0)) if back else None


def _past_weekday(before: str, local: datetime, posted: datetime) -> tuple[datetime, str] | None:
    """A weekday named in ``before`` (the text ahead of a same-day phrase) that lies days back, not in a
    call («يوم الجمعة المقبل»): the day of the event the rest of the text reports on."""
    m = next((w for w in _WEEKDAY.finditer(before)
              if not _UNTIL_BEFORE.search(before[max(0, w.start() - 8) : w.start()])), None)
    if m is None or _CALL.search(before[: m.end() + 12]):
        return None
    return _weekday_back(m, local, posted)


# Another event named as a contrast: "separate from yesterday's IED near Muqdadiya", "unlike Sunday's
# graduates' sit-in", «لا علاقة له بانفجار امس», "Same area where troops seized a cache on Thursday, but a
# separate incident." Its type, place and day are that event's, not the post's: ``without_contrast`` blanks
# them before the record is read.
# (the English phrases are also ``monitor.signatures.DISTINCT``'s: a post that says so is set apart)
CONTRAST_FROM_EN = (r"separate from|separate (?:group|protest|rally|crowd|demonstration|sit-in) from|unrelated to|"
                    r"not linked to|not connected to|not related to|different from|"
                    r"different (?:location|place|area|site|incident|event|attack|protest|rally|movement|crowd|"
                    r"group|groups|road|target) from")
# (one of these is in every contrast phrase and "separate incident")
_CONTRAST_WORDS = ("separate", "unrelated", "not linked", "not connected", "not related", "different", "distinct",
                   "unlike", "بخلاف", "عكس", "منفصل", "علاقه", "مرتبط", "غير")
_CONTRAST_FROM = Scan(re.compile(
    rf"(?<!\w)(?:{CONTRAST_FROM_EN}|distinct from|unlike)(?!\w)|"
    rf"{_B}(?:بخلاف|على عكس|منفصل عن|منفصله عن|لا علاقه له ب|لا علاقه لها ب|غير مرتبط ب|غير مرتبطه ب)|"
    # («تظاهرة ثانية غير اعتصام الخريجين، هاي لعمال العقود»: not the graduates' sit-in, the workers')
    rf"{_B}غير (?:ال)?(?:هجوم|تفجير|انفجار|عبوه|اعتداء|استهداف|قصف|ضربه|تظاهره|احتجاج|وقفه|اعتصام|قنبله|حادث|"
    rf"حادثه){_E}"),
    _CONTRAST_WORDS)
_CONTRAST_SENTENCE = Scan(re.compile(
    r"(?<!\w)(?:a separate incident|an unrelated incident|separate incidents)(?!\w)|"
    rf"{_B}(?:حادث منفصل|حادثه منفصله){_E}"), _CONTRAST_WORDS)
# the earlier event a repeat is counted from: "Second ISIS attack on the PMF this week after Tarmiyah early on
# Tuesday", «وهذا ثاني قطع ... خلال الأسبوع بعد احتجاج أهالي الغراف يوم الاثنين», "after Shatra on Monday, today
# ...", «بعد الشطرة يوم الاثنين، اليوم ...» (blanked from "after" to the end of its clause; "after Friday prayers"
# is when a protest is, not another event)
_DAY_WORD_EN = r"(?:on )?(?:" + "|".join(en for _, en in WEEKDAY_NAMES.values()) + r"|yesterday|last night)"
_DAY_WORD_AR = r"(?:يوم )?(?:" + "|".join(ar for ar, _ in WEEKDAY_NAMES.values()) + r"|امس|البارحه)"
_NOW_EN = r"[,;] *(?:and )?(?:today|now|this morning)(?!\w)"
_NOW_AR = rf"[،,] *و?(?:اليوم|هسه|هسع|الان){_E}"
_AFTER_EARLIER = Scan(re.compile(
    r"(?<!\w)(?:second|third|fourth|fifth|another)(?!\w)[^.!?\n]{0,80}?"
    r"(?<!\w)(?:this week|this month|of the day|in (?:two|three|four|\d+) days|in (?:24|48|72) ?h(?:ours)?)(?!\w)"
    r"[^.!?\n,;]{0,30}?,? ?(?<!\w)(?P<after>after)(?!\w)|"
    # ("Second protest in Basra in 24h: ... after last night's blockade in Hayyaniya")
    r"(?<!\w)(?:second|third|fourth|fifth|another)(?!\w)[^.!?\n]{0,200}?(?<!\w)(?P<after5>after)"
    r"(?= (?:last night's|yesterday's|this morning's|\w+day's)(?!\w))|"
    rf"(?<!\w)(?P<after2>after)(?!\w)(?![^,.;!?\n]{{0,30}}prayers)"
    rf"(?=[^,.;!?\n]{{0,40}}(?<!\w){_DAY_WORD_EN}(?!\w)[^,.;!?\n]{{0,20}}{_NOW_EN})|"
    rf"{_B}(?:ال)?(?:ثاني|ثالث|رابع|خامس)[^.!؟\n]{{0,80}}?{_B}(?:الاسبوع|الشهر|اليوم|اسبوع|يومين){_E}"
    rf"[^.!؟\n،]{{0,30}}?{_B}(?P<after4>بعد){_E}|"
    rf"{_B}(?P<after3>بعد)(?! صلاه)"
    rf"(?= [^،,.\n]{{0,30}}{_B}{_DAY_WORD_AR}(?![\u0621-\u064a\w])[^،,.\n]{{0,15}}{_NOW_AR})|"
    # the first since another ("First attack on the base since the militia warning on Thursday", «اول هجوم
    # منذ تهديد الفصائل يوم الخميس»): that one's day is not this event's
    r"(?<!\w)first (?:\w+ )?(?:attack|strike|rocket|drone|blast|explosion|incident|ied|protest)s?(?!\w)"
    r"[^.!?\n:]{0,60}?(?<!\w)(?P<after6>since)(?!\w)|"
    rf"{_B}(?:اول|الاول) (?:\w+ )?(?:هجوم|استهداف|ضربه|قصف|صاروخ|انفجار|حادث|اعتداء|تظاهره|احتجاج){_E}"
    rf"[^.!؟\n:]{{0,60}}?{_B}(?P<after7>منذ){_E}"),
                      ("after", "بعد", "since", "منذ"))  # (every alternative's anchor word)
_AFTER_GROUPS = ("after", "after2", "after3", "after4", "after5", "after6", "after7")
_CLAUSE_END = re.compile(r"[,،.!?؟;\n]")
_SENTENCE = re.compile(r"[^.!?؟\n]+")


def without_contrast(norm: str) -> str:
    """``norm`` with what it says of another event blanked (spaces, so positions hold): from a contrast
    phrase ("separate from", «لا علاقة له ب»), the "after" a repeat is counted from ("the second attack
    this week after Tarmiyah on Tuesday", «بعد الشطرة يوم الاثنين، اليوم ...») or the "since" of a first
    ("the first attack since Thursday's warning") to the end of its clause,
    and a whole sentence that calls itself "a separate incident" when another sentence is left to read."""
    if not (_CONTRAST_FROM.search(norm) or _CONTRAST_SENTENCE.search(norm) or _AFTER_EARLIER.search(norm)):
        return norm
    chars = list(norm)
    starts = [m.start() for m in _CONTRAST_FROM.finditer(norm)]
    starts += [m.start(g) for m in _AFTER_EARLIER.finditer(norm) for g in _AFTER_GROUPS if m.group(g)]
    for start in starts:
        clause_end = _CLAUSE_END.search(norm, start + 1)
        end = clause_end.start() if clause_end else len(norm)
        chars[start:end] = " " * (end - start)
    sentences = [m for m in _SENTENCE.finditer(norm) if m.group(0).strip()]
    for m in sentences:
        if _CONTRAST_SENTENCE.search(m.group(0)) and any(o is not m and len(o.group(0).strip()) >= 15
                                                          for o in sentences):
            chars[m.start() : m.end()] = " " * (m.end() - m.start())
    return "".join(chars)


_DEFAULT: Extractor | None = None


# A channel's sign on the post's last line: a short line after the text, with a channel's word or mark
# («كربلاء لايف 🔴», "📡 الكرخ نيوز", «📍 كركوك 24», "Basra News"): it names where the channel reports from, which
# the event shares only when the text names no place of its own (a Karbala channel's report of a funeral for
# men killed in the Rutba desert)
_SIGN_LINE = re.compile(r"\n[ \t]*((?:[📡📰📢📣📍🔻🔴🔗🌐📲📱🗞✍️]\ufe0f?[ \t]*)?[^\n]{2,40}?)[ \t]*\Z")
_SIGN_WORD = re.compile(r"(?<!\w)(?:لايف|live|نيوز|news|24|الحدث|تابعونا|قناة|قناه|channel|متابعات|الاخباريه|الإخبارية|"
                        r"الاخبارية|نت|net|tv|fm|press|media|ميديا)\W*$|^[📡📰📢📣📍🔗🌐📲📱🗞✍]", re.IGNORECASE)


def split_sign(text: str) -> tuple[str, str]:
    """``(text, sign)``: the post without a channel's sign on its last line, and the sign ("" if none)."""
    m = _SIGN_LINE.search(text.rstrip())
    if m is None or len(m.group(1).split()) > 5 or not _SIGN_WORD.search(m.group(1).strip()):
        return text, ""
    return text[: m.start()], m.group(1).strip()


def extract_event(text: str, labels: list[str] | tuple[str, ...], posted: datetime) -> Event | None:
    """The event of a flagged post (None when no label is flagged), with the shipped gazetteer and registry."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Extractor()
    return _DEFAULT.extract(text, labels, posted)
