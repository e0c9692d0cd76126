"""Name material the generator draws on where Faker has no romanised pairs: Arabic, Chinese, Cyrillic schemes.

Written from common usage (passport and press spellings), not from the matcher's reference data: each Arabic
name carries the spellings one meets for it, each Chinese character its pinyin and Wade-Giles syllables, and
each Cyrillic romanisation scheme its letter table.
"""

from __future__ import annotations

# (native, spellings…): the list uses one spelling, the "other transliteration" variant another.
ARABIC_GIVEN = (
    ("محمد", "Mohammed", "Muhammad", "Mohamed", "Mohammad"),
    ("أحمد", "Ahmed", "Ahmad"),
    ("علي", "Ali", "Aly"),
    ("حسن", "Hassan", "Hasan"),
    ("حسين", "Hussein", "Husayn", "Hussain"),
    ("عمر", "Omar", "Umar"),
    ("خالد", "Khaled", "Khalid"),
    ("يوسف", "Youssef", "Yusuf", "Yousef"),
    ("إبراهيم", "Ibrahim", "Ebrahim"),
    ("عبد الله", "Abdullah", "Abdallah", "Abd Allah"),
    ("عبد الرحمن", "Abdulrahman", "Abdul Rahman", "Abdelrahman"),
    ("مصطفى", "Mustafa", "Moustafa", "Mostafa"),
    ("سعيد", "Saeed", "Said"),
    ("كريم", "Karim", "Kareem"),
    ("جمال", "Jamal", "Gamal"),
    ("طارق", "Tariq", "Tarek"),
    ("ناصر", "Nasser", "Nasir"),
    ("فيصل", "Faisal", "Faysal"),
    ("سلمان", "Salman", "Selman"),
    ("حمزة", "Hamza", "Hamzah"),
    ("زياد", "Ziad", "Ziyad"),
    ("وليد", "Walid", "Waleed"),
    ("ماجد", "Majid", "Majed"),
    ("رشيد", "Rashid", "Rachid"),
    ("سليمان", "Suleiman", "Sulayman", "Sleiman"),
    ("عثمان", "Othman", "Uthman", "Osman"),
    ("صالح", "Saleh", "Salih"),
    ("منصور", "Mansour", "Mansur"),
    ("فاطمة", "Fatima", "Fatma"),
    ("عائشة", "Aisha", "Aicha", "Ayesha"),
    ("مريم", "Maryam", "Mariam"),
    ("زينب", "Zainab", "Zaynab"),
    ("ليلى", "Layla", "Leila"),
    ("نور", "Nour", "Noor"),
    ("سارة", "Sara", "Sarah"),
)

ARABIC_FAMILY = (
    ("الحسيني", "Al-Husseini", "Al Husseini", "El-Husseini"),
    ("القحطاني", "Al-Qahtani", "Al Kahtani"),
    ("الشمري", "Al-Shammari", "Al Shammari"),
    ("العتيبي", "Al-Otaibi", "Al Otaibi"),
    ("الزهراني", "Al-Zahrani", "Al Zahrani"),
    ("المصري", "Al-Masri", "El-Masry"),
    ("التميمي", "Al-Tamimi", "Al Tamimi"),
    ("الخطيب", "Al-Khatib", "El Khatib"),
    ("الحداد", "Al-Haddad", "El Haddad"),
    ("النجار", "Al-Najjar", "El Najjar"),
    ("خليل", "Khalil", "Khaleel"),
    ("عباس", "Abbas", "Abas"),
    ("سالم", "Salem", "Salim"),
    ("حمدان", "Hamdan", "Hemdan"),
    ("درويش", "Darwish", "Darwich"),
    ("قاسم", "Qasim", "Kassem", "Qassem"),
    ("بكر", "Bakr", "Bakir"),
    ("عيسى", "Issa", "Eisa"),
    ("شريف", "Sharif", "Cherif"),
    ("البغدادي", "Al-Baghdadi", "Al Baghdadi"),
    ("الأنصاري", "Al-Ansari", "El Ansari"),
    ("الكبيسي", "Al-Kubaisi", "Al Kubaysi"),
)

# (character, pinyin, Wade-Giles)
CHINESE_SURNAMES = (
    ("王", "Wang", "Wang"),
    ("李", "Li", "Li"),
    ("张", "Zhang", "Chang"),
    ("刘", "Liu", "Liu"),
    ("陈", "Chen", "Ch'en"),
    ("杨", "Yang", "Yang"),
    ("黄", "Huang", "Huang"),
    ("赵", "Zhao", "Chao"),
    ("吴", "Wu", "Wu"),
    ("周", "Zhou", "Chou"),
    ("徐", "Xu", "Hsu"),
    ("孙", "Sun", "Sun"),
    ("马", "Ma", "Ma"),
    ("朱", "Zhu", "Chu"),
    ("胡", "Hu", "Hu"),
    ("郭", "Guo", "Kuo"),
    ("何", "He", "Ho"),
    ("高", "Gao", "Kao"),
    ("林", "Lin", "Lin"),
    ("罗", "Luo", "Lo"),
    ("郑", "Zheng", "Cheng"),
    ("梁", "Liang", "Liang"),
    ("谢", "Xie", "Hsieh"),
    ("宋", "Song", "Sung"),
    ("唐", "Tang", "T'ang"),
    ("韩", "Han", "Han"),
    ("冯", "Feng", "Feng"),
    ("邓", "Deng", "Teng"),
    ("曹", "Cao", "Ts'ao"),
    ("彭", "Peng", "P'eng"),
    ("曾", "Zeng", "Tseng"),
    ("田", "Tian", "T'ien"),
    ("董", "Dong", "Tung"),
    ("潘", "Pan", "P'an"),
    ("袁", "Yuan", "Yuan"),
    ("蔡", "Cai", "Ts'ai"),
    ("蒋", "Jiang", "Chiang"),
    ("杜", "Du", "Tu"),
    ("叶", "Ye", "Yeh"),
    ("程", "Cheng", "Ch'eng"),
    ("魏", "Wei", "Wei"),
    ("苏", "Su", "Su"),
    ("丁", "Ding", "Ting"),
    ("任", "Ren", "Jen"),
)

CHINESE_GIVEN = (
    ("小", "xiao", "hsiao"),
    ("明", "ming", "ming"),
    ("伟", "wei", "wei"),
    ("华", "hua", "hua"),
    ("建", "jian", "chien"),
    ("国", "guo", "kuo"),
    ("军", "jun", "chün"),
    ("平", "ping", "p'ing"),
    ("强", "qiang", "ch'iang"),
    ("文", "wen", "wen"),
    ("东", "dong", "tung"),
    ("海", "hai", "hai"),
    ("辉", "hui", "hui"),
    ("红", "hong", "hung"),
    ("丽", "li", "li"),
    ("芳", "fang", "fang"),
    ("静", "jing", "ching"),
    ("秀", "xiu", "hsiu"),
    ("英", "ying", "ying"),
    ("玉", "yu", "yü"),
    ("兰", "lan", "lan"),
    ("志", "zhi", "chih"),
    ("勇", "yong", "yung"),
    ("杰", "jie", "chieh"),
    ("涛", "tao", "t'ao"),
    ("斌", "bin", "pin"),
    ("波", "bo", "po"),
    ("鹏", "peng", "p'eng"),
    ("峰", "feng", "feng"),
    ("磊", "lei", "lei"),
    ("超", "chao", "ch'ao"),
    ("刚", "gang", "kang"),
    ("春", "chun", "ch'un"),
    ("晓", "xiao", "hsiao"),
    ("云", "yun", "yün"),
    ("德", "de", "te"),
    ("新", "xin", "hsin"),
    ("光", "guang", "kuang"),
    ("荣", "rong", "jung"),
    ("庆", "qing", "ch'ing"),
    ("金", "jin", "chin"),
    ("宏", "hong", "hung"),
)

# Russian Cyrillic → Latin, letter by letter, in five conventions met on passports, lists and in the press.
_CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
_SCHEMES_RAW = {
    # ICAO Doc 9303 (Russian passports since 2013)
    "icao": "a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch ie y - e iu ia",
    # BGN/PCGN (US and UK government lists)
    "bgn": "a b v g d e yo zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya",
    # German press (Duden)
    "german": "a b w g d e jo sch s i i k l m n o p r s t u f ch z tsch sch schtsch - y - e ju ja",
    # French press
    "french": "a b v g d e io j z i i k l m n o p r s t ou f kh ts tch ch chtch - y - e iou ia",
    # Scholarly (ISO 9 family), with diacritics
    "scientific": "a b v g d e ë ž z i j k l m n o p r s t u f ch c č š šč - y - è ju ja",
}
CYRILLIC_SCHEMES = {
    name: dict(zip(_CYRILLIC, ("" if v == "-" else v for v in table.split()), strict=True))
    for name, table in _SCHEMES_RAW.items()
}
#: Schemes a sanctions list uses for its own spelling; the others are the "other transliteration" variants.
LIST_SCHEMES = ("icao", "bgn")


def romanise_cyrillic(text: str, scheme: str) -> str:
    """Spell Russian Cyrillic text in one of the schemes above, keeping capitals."""
    table = CYRILLIC_SCHEMES[scheme]
    out: list[str] = []
    for ch in text:
        low = ch.lower()
        if low in table:
            latin = table[low]
            out.append(latin.capitalize() if ch != low else latin)
        else:
            out.append(ch)
    return "".join(out)


HONORIFICS = (
    "Mr.",
    "Mrs.",
    "Ms.",
    "Dr.",
    "Prof.",
    "General",
    "Colonel",
    "H.E.",
    "Sheikh",
    "Hon.",
    "Sir",
    "Madame",
)

# Legal forms by how they are written in full, abbreviated, or by a foreign equivalent.
COMPANY_SUFFIXES = (
    ("Limited", "Ltd", "Ltd."),
    ("LLC", "L.L.C.", "Limited Liability Company"),
    ("Inc.", "Incorporated", "Inc"),
    ("GmbH", "Gesellschaft mit beschränkter Haftung"),
    ("AG", "Aktiengesellschaft"),
    ("S.A.", "SA", "Sociedad Anónima"),
    ("JSC", "Joint Stock Company", "AO"),
    ("OOO", "ООО"),
    ("Co., Ltd.", "Company Limited", "Co Ltd"),
    ("B.V.", "BV", "Besloten Vennootschap"),
    ("FZE", "Free Zone Establishment"),
)

COMPANY_WORDS = (
    "Global",
    "Trading",
    "Energy",
    "Holdings",
    "Petroleum",
    "Shipping",
    "Logistics",
    "Industrial",
    "Maritime",
    "Investment",
    "Capital",
    "Resources",
    "Engineering",
    "Technologies",
    "Systems",
    "Aviation",
    "Metals",
    "Chemical",
    "Mining",
    "Construction",
    "Export",
    "Import",
    "Finance",
    "Services",
    "Development",
    "Group",
    "International",
    "United",
    "Eastern",
    "Western",
    "Northern",
    "Southern",
    "Pacific",
    "Atlantic",
    "Gulf",
    "Continental",
    "Royal",
    "National",
    "General",
    "Star",
    "Falcon",
    "Eagle",
    "Crescent",
    "Phoenix",
    "Delta",
    "Orion",
    "Vector",
    "Summit",
    "Pinnacle",
    "Horizon",
    "Meridian",
    "Sovereign",
    "Titan",
    "Apex",
    "Zenith",
)
