"""Form-letter campaign detection (participation.campaigns), no database."""

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from participation.campaigns import (
    Campaign,
    CampaignIndex,
    CommentText,
    detect_campaigns,
    lsh_shape,
    normalise_text,
    text_similarity,
)

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

LETTER = (
    "Dear members of the city council, I am writing to oppose the plan to build "
    "a multi-storey car park on the site of Central Park. The park is the only "
    "green space in our district, where children play and older residents walk "
    "every day. Please keep the park as it is and invest the money in public "
    "transport instead. {extra}{closing}"
)
EXTRA = "My family has lived next to the park for twenty years. "
NAMES = [
    "Anna Berg", "Timur Akhmetov", "Maria Lopez", "John Carter", "Dana Seitkali",
    "Olga Ivanova", "Peter Novak", "Aliya Nurlanova", "Marek Kowalski", "Sara Cohen",
    "Daniyar Omarov", "Lena Fischer", "Tom Walsh", "Gulnara Abenova", "Ivan Petrov",
    "Chloe Martin", "Arman Sadykov", "Eva Horvath", "Nurlan Bekov", "Kate Brown",
]  # fmt: skip

# Thirty genuine comments on the same consultation, sharing its vocabulary
# (park, car park, council, district, public transport) and, in two cases,
# quoting a phrase of the letter, as real comments do.
GENUINE = [
    "The car park is badly needed: shoppers circle the district for half an hour "
    "looking for a space every Saturday.",
    "I run a small bakery near Central Park and most of my customers come by car, "
    "so parking matters for local business.",
    "Why not build the car park underground and keep the park on top? Other "
    "cities have done exactly that.",
    "Public transport in our district is unreliable after eight in the evening; "
    "fix the buses before you talk about parking.",
    "The council should publish the traffic study. Without numbers this "
    "consultation is guesswork.",
    "Central Park floods every spring. Building anything there needs a drainage "
    "plan first.",
    "I walk my dog in the park every morning and I would hate to lose the old "
    "oak trees near the pond.",
    "A multi-storey building will block the evening light for the flats on Abay "
    "street. Please consider the neighbours.",
    "Could the city council explain how many spaces are planned and what the "
    "hourly price would be?",
    "More parking means more cars, and more cars mean more pollution near the "
    "school next to the park.",
    "I support the plan if it includes charging points for electric cars and safe "
    "bicycle storage.",
    "The tram line promised ten years ago never arrived. Invest in that and "
    "nobody will need a car park.",
    "Older residents walk every day in the park, that is true, but many of them "
    "also cannot reach the clinic without a car.",
    "Please run a second public meeting in the evening so that working parents "
    "can take part as well.",
    "The green space in our district is already small; the playground was cut in "
    "half last year for the road widening.",
    "As a taxi driver I see the congestion daily. A car park alone will not solve "
    "it without better traffic lights.",
    "Let the park stay, but open the unused school yard as paid parking during "
    "weekends.",
    "Who will pay for the maintenance of the car park? The budget already has a "
    "deficit according to the council report.",
    "Children need space to play outside. Screens are not a replacement for "
    "grass and trees.",
    "I moved here because of the park. If it goes, I will seriously consider "
    "moving to another district.",
    "Shuttle buses from the train station to the market would reduce traffic more "
    "cheaply than a new building.",
    "The consultation page should list the alternatives that were rejected and "
    "explain the reasons.",
    "Residents of the northern side of the district were not informed about this "
    "plan at all.",
    "There are bats nesting in the old trees, and they are protected species. "
    "Has an ecological survey been done?",
    "Parking fines are not enforced on our street; enforcement would free many "
    "spaces without building anything.",
    "A smaller car park at the edge of the park, with a new footpath, could be a "
    "fair compromise.",
    "My elderly mother depends on the number 12 bus. Please make public transport "
    "accessible before cutting parking.",
    "Noise from construction would last two years and disturb the hospital nearby.",
    "I agree that invest the money in public transport instead is the wiser "
    "choice for a growing city like ours.",
    "The council keeps asking for our views and then ignores them. I hope this "
    "time will be different.",
]


def letter(i: int) -> str:
    """Return the i-th variant of the form letter: always a different name.

    Every fourth copy adds a sentence, every fourth (offset 2) has typos,
    every fourth (offset 3) a reordered closing in capitals.
    """
    name = NAMES[i]
    extra = EXTRA if i % 4 == 1 else ""
    closing = f"Yours sincerely, {name}"
    text = LETTER.format(extra=extra, closing=closing)
    if i % 4 == 2:
        text = text.replace("district", "distrct").replace("children", "chidlren")
    if i % 4 == 3:
        text = text.replace(closing, f"THANK YOU!!! {name}, with best regards.")
    return text


def form_letter_corpus() -> tuple[list[CommentText], set[str]]:
    """Return 20 form letters among 30 genuine comments, and the letters' ids."""
    comments = []
    letters: set[str] = set()
    for i in range(50):
        at = START + timedelta(minutes=7 * i)
        if i % 5 in (1, 3) and len(letters) < 20:
            n = len(letters)
            comments.append(CommentText(f"L{n}", f"author-L{n}", letter(n), at))
            letters.add(f"L{n}")
        else:
            n = i - len(letters)
            comments.append(CommentText(f"G{n}", f"author-G{n}", GENUINE[n], at))
    return comments, letters


def test_form_letter_variants_are_similar_but_genuine_comments_are_not() -> None:
    """Planted edits keep letters above the threshold; genuine ones stay far below."""
    base = letter(0)
    assert min(text_similarity(base, letter(i)) for i in range(1, 20)) >= 0.7
    assert text_similarity(letter(1), letter(3)) >= 0.6
    worst = max(
        text_similarity(a, b) for i, a in enumerate(GENUINE) for b in GENUINE[i + 1 :]
    )
    assert worst < 0.1
    assert max(text_similarity(base, g) for g in GENUINE) < 0.15


def test_planted_form_letter_campaign_is_found_exactly() -> None:
    """20 edited copies by 20 authors among 30 genuine comments form one campaign."""
    comments, letters = form_letter_corpus()
    assert len(comments) == 50
    campaigns = detect_campaigns(comments)
    assert len(campaigns) == 1
    (campaign,) = campaigns
    assert set(campaign.member_ids) == letters
    assert campaign.size == 20
    assert campaign.author_count == 20
    assert campaign.kind == "form-letter"
    assert campaign.key == "L0"
    assert campaign.member_ids == tuple(f"L{n}" for n in range(20))
    assert campaign.first_at == START + timedelta(minutes=7)
    assert campaign.last_at == START + timedelta(minutes=7 * 48)
    # The representative is a copy with no edit but the signature.
    plain = {f"L{n}" for n in range(0, 20, 4)}
    assert campaign.representative_id in plain
    assert campaign.representative_text == letter(int(campaign.representative_id[1:]))


def test_genuine_comments_form_no_campaign_even_at_a_low_threshold() -> None:
    """Independent comments on one topic stay apart even at threshold 0.3."""
    comments = [CommentText(f"G{i}", f"a{i}", text) for i, text in enumerate(GENUINE)]
    assert detect_campaigns(comments, threshold=0.3, min_size=2) == []


RUSSIAN = (
    "Уважаемые депутаты городского маслихата! Я против строительства многоэтажной "
    "парковки на месте Центрального парка. Это единственный зелёный уголок в нашем "
    "районе, где гуляют дети и пожилые люди. Прошу сохранить парк и вложить "
    "средства в общественный транспорт. {extra}С уважением, {name}"
)
RUSSIAN_EXTRA = "Моя семья живёт рядом с парком двадцать лет. "
RUSSIAN_NAMES = [
    "Иван Петров", "Ольга Смирнова", "Сергей Ким", "Наталья Волкова", "Андрей Лебедев",
    "Елена Морозова", "Дмитрий Пак", "Анна Соколова", "Павел Фёдоров", "Мария Орлова",
]  # fmt: skip

KAZAKH = (
    "Құрметті қалалық мәслихат депутаттары! Мен Орталық саябақтың орнына көп "
    "қабатты автотұрақ салуға қарсымын. Бұл біздің ауданымыздағы жалғыз жасыл "
    "аймақ, онда балалар ойнайды және қарт адамдар серуендейді. Саябақты сақтап, "
    "қаражатты қоғамдық көлікке жұмсауды сұраймын. {extra}Құрметпен, {name}"
)
KAZAKH_EXTRA = "Менің отбасым саябақтың жанында жиырма жыл тұрады. "
KAZAKH_NAMES = [
    "Айгүл Серікқызы", "Нұрлан Әбенов", "Ерлан Қасымов", "Әсем Жұмабекова",
    "Жанар Оспанова", "Ғалым Тоқтаров", "Мөлдір Нұрғалиева", "Бауыржан Үсенов",
    "Іңкәр Смағұлова", "Дәурен Өтегенов",
]  # fmt: skip

CYRILLIC_GENUINE = [
    "Парковка нужна, потому что по выходным в районе невозможно найти место для "
    "машины возле рынка.",
    "Почему бы не построить подземную парковку и сохранить парк сверху, как "
    "сделали в других городах?",
    "Общественный транспорт в нашем районе ходит редко, особенно вечером после "
    "восьми часов.",
    "Саябақ біздің балаларымыз үшін өте маңызды, бірақ автотұрақ мәселесін де "
    "шешу керек деп ойлаймын.",
    "Автобустар кешкі уақытта сирек жүреді, сондықтан көп адамдар көлікпен "
    "жүруге мәжбүр.",
    "Маслихат должен опубликовать исследование трафика, без цифр это обсуждение "
    "бессмысленно.",
]


def cyrillic_corpus() -> tuple[list[CommentText], set[str], set[str]]:
    """Return Russian and Kazakh letter variants mixed with genuine comments."""
    comments: list[CommentText] = []
    russian: set[str] = set()
    kazakh: set[str] = set()
    for i in range(10):
        text = RUSSIAN.format(
            extra=RUSSIAN_EXTRA if i % 3 == 1 else "", name=RUSSIAN_NAMES[i]
        )
        if i % 3 == 2:  # no "ё", a typo and shouting
            text = text.replace("зелёный", "зеленый").replace("гуляют", "гулят")
            text = text.upper()
        comments.append(CommentText(f"ru{i}", f"ru-author{i}", text))
        russian.add(f"ru{i}")
        text = KAZAKH.format(
            extra=KAZAKH_EXTRA if i % 3 == 1 else "", name=KAZAKH_NAMES[i]
        )
        if i % 3 == 2:  # punctuation dropped, a typo
            text = (
                text.replace("!", "").replace(",", "").replace("саябақтың", "саябактың")
            )
        comments.append(CommentText(f"kk{i}", f"kk-author{i}", text))
        kazakh.add(f"kk{i}")
        if i < len(CYRILLIC_GENUINE):
            comments.append(CommentText(f"g{i}", f"g-author{i}", CYRILLIC_GENUINE[i]))
    return comments, russian, kazakh


def test_russian_and_kazakh_form_letters_are_detected() -> None:
    """Cyrillic letters are normalised and grouped exactly like Latin ones."""
    comments, russian, kazakh = cyrillic_corpus()
    campaigns = detect_campaigns(comments)
    assert [set(c.member_ids) for c in campaigns] == [russian, kazakh]
    assert [c.kind for c in campaigns] == ["form-letter", "form-letter"]
    assert [c.author_count for c in campaigns] == [10, 10]


def test_normalisation_handles_cyrillic_case_punctuation_and_compatibility_forms() -> (
    None
):
    """NFKC, casefolding and punctuation removal work across scripts."""
    assert normalise_text("  Құрметті   ДЕПУТАТТАР!\n«Саябақ» — біздікі.") == (
        "құрметті депутаттар саябақ біздікі"
    )
    assert normalise_text("ЗЕЛЁНЫЙ ПАРК, Ёлка…") == "зелёный парк ёлка"
    assert normalise_text("ＦＵＬＬ-width ﬁnal №5 STRASSE Straße") == (
        "full width final no5 strasse strasse"
    )
    assert normalise_text("и\u0306 = й") == "й й"
    assert normalise_text("+1 !!!") == "1"
    assert normalise_text("") == ""


def test_single_author_flood_is_kind_flood() -> None:
    """One author pasting the same long text many times is a flood, not a letter."""
    text = LETTER.format(extra="", closing="Regards, Bob")
    comments = [
        CommentText(i, "bob", text, START + timedelta(seconds=i)) for i in range(6)
    ]
    comments.append(CommentText(99, "alice", GENUINE[0]))
    (campaign,) = detect_campaigns(comments)
    assert campaign.kind == "flood"
    assert campaign.author_count == 1
    assert campaign.member_ids == (0, 1, 2, 3, 4, 5)
    assert campaign.representative_id == 0
    assert campaign.first_at == START
    assert campaign.last_at == START + timedelta(seconds=5)


def test_two_authors_below_min_size_are_still_a_flood() -> None:
    """A form letter needs min_size distinct authors; two accounts are a flood."""
    text = LETTER.format(extra="", closing="Regards, Bob")
    comments = [CommentText(i, ("bob", "bob2")[i % 2], text) for i in range(6)]
    (campaign,) = detect_campaigns(comments)
    assert (campaign.kind, campaign.author_count) == ("flood", 2)
    (campaign,) = detect_campaigns(comments, min_size=2)
    assert (campaign.kind, campaign.author_count) == ("form-letter", 2)


def test_short_identical_comments_are_not_a_campaign() -> None:
    """'I agree' and '+1' repeated by many people are below the word minimum."""
    comments = [
        CommentText(f"a{i}", f"u{i}", "I agree with this proposal!") for i in range(30)
    ]
    comments += [CommentText(f"p{i}", f"v{i}", "+1") for i in range(30)]
    comments += [
        CommentText(f"s{i}", f"w{i}", "Keep the park, build the tram.")
        for i in range(30)
    ]
    assert detect_campaigns(comments) == []
    index = CampaignIndex()
    assert [index.add(c) for c in comments] == [None] * 90
    assert len(index) == 90
    assert "a3" in index
    assert index.campaign_of("a3") is None


def test_word_minimum_is_configurable() -> None:
    """Lowering min_words lets a short repeated slogan count as a campaign."""
    comments = [
        CommentText(i, f"u{i}", "Keep the park, build the tram.") for i in range(4)
    ]
    (campaign,) = detect_campaigns(comments, min_words=5)
    assert campaign.member_ids == (0, 1, 2, 3)


SECOND_LETTER = (
    "To the transport department: we ask for protected bicycle lanes on Abay "
    "avenue between the university and the railway station, because cyclists are "
    "forced onto the pavement and several accidents happened this year alone. "
    "Painted lines are not enough; we need kerbs. Signed, {name}"
)


def test_two_distinct_campaigns_stay_two() -> None:
    """Two different form letters on related topics are two campaigns."""
    comments = []
    for i in range(12):
        comments.append(CommentText(f"A{i}", f"a{i}", letter(i)))
        if i < 8:
            text = SECOND_LETTER.format(name=NAMES[-1 - i])
            if i % 2:
                text = text.replace("several", "many").replace("kerbs", "curbs")
            comments.append(CommentText(f"B{i}", f"b{i}", text))
    campaigns = detect_campaigns(comments)
    assert [c.member_ids for c in campaigns] == [
        tuple(f"A{i}" for i in range(12)),
        tuple(f"B{i}" for i in range(8)),
    ]


def test_incremental_index_agrees_with_batch_detection() -> None:
    """Adding comments one by one reports the same campaigns as the batch call."""
    comments, _ = form_letter_corpus()
    index = CampaignIndex()
    joined = []
    for comment in comments:
        campaign = index.add(comment)
        if campaign is not None:
            assert comment.id in campaign.member_ids
            joined.append((comment.id, campaign.size))
    # The third letter creates the campaign; every later letter joins it.
    assert joined == [(f"L{n}", n + 1) for n in range(2, 20)]
    assert index.campaigns() == detect_campaigns(comments)
    assert index.campaign_of("L5") == index.campaigns()[0]
    assert index.campaign_of("G0") is None
    assert index.campaign_of("unknown") is None


def test_a_bridging_comment_merges_two_campaigns() -> None:
    """A comment similar to two campaigns joins them; the earliest key wins."""
    words = [f"word{i}" for i in range(90)]
    first, middle, last = words[:30], words[30:60], words[60:]

    def edited(parts: list[str], n: int) -> str:
        return " ".join([*parts[:-1], f"edit{n}"])

    a_text, b_text = first + middle, middle + last
    assert text_similarity(" ".join(a_text), " ".join(b_text)) < 0.5
    assert text_similarity(" ".join(a_text), " ".join(words)) > 0.5
    index = CampaignIndex()
    order = []
    for n in range(3):
        order += [CommentText(f"A{n}", f"a{n}", edited(a_text, n))]
        order += [CommentText(f"B{n}", f"b{n}", edited(b_text, n))]
    for comment in order:
        index.add(comment)
    assert [c.member_ids for c in index.campaigns()] == [
        ("A0", "A1", "A2"),
        ("B0", "B1", "B2"),
    ]
    merged = index.add(CommentText("C", "c", " ".join(words)))
    assert merged is not None
    assert merged.key == "A0"
    assert merged.member_ids == ("A0", "B0", "A1", "B1", "A2", "B2", "C")
    assert merged.representative_id == "C"
    assert index.campaigns() == [merged]
    assert index.campaign_of("B1") == merged
    assert detect_campaigns([*order, CommentText("C", "c", " ".join(words))]) == [
        merged
    ]


def test_membership_does_not_depend_on_order() -> None:
    """Reversed input gives the same member sets (only key and order differ)."""
    comments, *_ = cyrillic_corpus()
    forward = detect_campaigns(comments)
    backward = detect_campaigns(comments[::-1])
    assert sorted(sorted(c.member_ids) for c in forward) == sorted(
        sorted(c.member_ids) for c in backward
    )


def test_detection_is_deterministic() -> None:
    """The same comments always give identical campaigns, in a fresh process too."""
    comments, _ = form_letter_corpus()
    first = detect_campaigns(comments)
    assert detect_campaigns(comments) == first
    code = (
        "from tests.participation.test_campaigns import form_letter_corpus\n"
        "from participation.campaigns import detect_campaigns\n"
        "print(detect_campaigns(form_letter_corpus()[0])[0].to_json())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == str(first[0].to_json())


def test_campaign_to_json_uses_builtins() -> None:
    """to_json gives ids, counts and ISO 8601 times."""
    campaign = Campaign(
        key=1,
        kind="flood",
        member_ids=(1, 2, 3),
        author_count=1,
        representative_id=2,
        representative_text="text",
        first_at=START,
        last_at=None,
    )
    assert campaign.to_json() == {
        "key": 1,
        "kind": "flood",
        "size": 3,
        "member_ids": [1, 2, 3],
        "author_count": 1,
        "representative_id": 2,
        "representative_text": "text",
        "first_at": "2025-03-01T09:00:00+00:00",
        "last_at": None,
    }


def test_invalid_input_is_rejected() -> None:
    """Repeated ids, naive datetimes and bad parameters raise ValueError."""
    index = CampaignIndex()
    index.add(CommentText(1, "a", "short"))
    with pytest.raises(ValueError, match=r"^comment 1 was already added$"):
        index.add(CommentText(1, "b", "other"))
    naive = datetime(2025, 3, 1, 9, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(
        ValueError, match=r"^created_at of comment 2 must be timezone-aware$"
    ):
        index.add(CommentText(2, "a", LETTER, naive))
    with pytest.raises(ValueError, match=r"^threshold must be in \(0, 1\], got 0$"):
        CampaignIndex(threshold=0)
    with pytest.raises(ValueError, match=r"^min_size must be at least 2, got 1$"):
        detect_campaigns([], min_size=1)
    with pytest.raises(ValueError, match=r"^min_words must be at least 1, got 0$"):
        detect_campaigns([], min_words=0)


def test_lsh_bands_give_high_recall_at_the_threshold() -> None:
    """The band shape keeps a 99 % chance of catching a pair at the threshold."""
    assert lsh_shape(0.5) == (42, 3)
    assert lsh_shape(0.8) == (21, 6)
    assert lsh_shape(1.0) == (1, 128)
    for threshold in (0.3, 0.5, 0.7, 0.9):
        bands, rows = lsh_shape(threshold)
        assert 1 - (1 - threshold**rows) ** bands >= 0.99


def test_exact_duplicates_by_many_authors_are_grouped() -> None:
    """Identical long texts by different authors are one form-letter campaign."""
    text = letter(0)
    comments = [CommentText(i, f"u{i}", text) for i in range(200)]
    (campaign,) = detect_campaigns(comments)
    assert campaign.size == 200
    assert campaign.kind == "form-letter"


def test_modules_do_not_import_django() -> None:
    """The pure modules load without Django, in a fresh interpreter."""
    code = (
        "import sys\n"
        "import participation.campaigns\n"
        "import participation.opinions\n"
        "print(sorted(m for m in sys.modules if m.partition('.')[0] == 'django'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == "[]\n"
