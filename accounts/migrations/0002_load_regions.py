"""Load Kazakhstan's 17 regions and 3 cities of republican significance.

The map is the one in force since June 2022 (Abai, Jetisu and Ulytau regions
created).  Populations are approximate, rounded official estimates for the
start of 2024; they only size quorums and are meant to be updated by admins.
Russian names for the 2022 regions follow the decree's official form
("область Абай"), not the adjectival form used in some media.
"""

from django.db import migrations

CITIES = [
    # code, English, Russian, Kazakh, population
    ("astana", "Astana", "Астана", "Астана", 1_350_000),
    ("almaty", "Almaty", "Алматы", "Алматы", 2_230_000),
    ("shymkent", "Shymkent", "Шымкент", "Шымкент", 1_230_000),
]

REGIONS = [
    ("abai", "Abai Region", "область Абай", "Абай облысы", 610_000),
    ("akmola", "Akmola Region", "Акмолинская область", "Ақмола облысы", 790_000),
    ("aktobe", "Aktobe Region", "Актюбинская область", "Ақтөбе облысы", 920_000),
    ("almaty-region", "Almaty Region", "Алматинская область", "Алматы облысы", 1_510_000),
    ("atyrau", "Atyrau Region", "Атырауская область", "Атырау облысы", 700_000),
    (
        "east-kazakhstan",
        "East Kazakhstan Region",
        "Восточно-Казахстанская область",
        "Шығыс Қазақстан облысы",
        730_000,
    ),
    ("jambyl", "Jambyl Region", "Жамбылская область", "Жамбыл облысы", 1_210_000),
    ("jetisu", "Jetisu Region", "область Жетісу", "Жетісу облысы", 700_000),
    ("karaganda", "Karaganda Region", "Карагандинская область", "Қарағанды облысы", 1_130_000),
    ("kostanay", "Kostanay Region", "Костанайская область", "Қостанай облысы", 830_000),
    ("kyzylorda", "Kyzylorda Region", "Кызылординская область", "Қызылорда облысы", 830_000),
    ("mangystau", "Mangystau Region", "Мангистауская область", "Маңғыстау облысы", 790_000),
    (
        "north-kazakhstan",
        "North Kazakhstan Region",
        "Северо-Казахстанская область",
        "Солтүстік Қазақстан облысы",
        530_000,
    ),
    ("pavlodar", "Pavlodar Region", "Павлодарская область", "Павлодар облысы", 750_000),
    ("turkistan", "Turkistan Region", "Туркестанская область", "Түркістан облысы", 2_140_000),
    ("ulytau", "Ulytau Region", "область Ұлытау", "Ұлытау облысы", 220_000),
    (
        "west-kazakhstan",
        "West Kazakhstan Region",
        "Западно-Казахстанская область",
        "Батыс Қазақстан облысы",
        690_000,
    ),
]


def load_regions(apps, schema_editor):
    Region = apps.get_model("accounts", "Region")
    rows = [(row, "city", 10 * (i + 1)) for i, row in enumerate(CITIES)]
    rows += [(row, "region", 100 + 10 * i) for i, row in enumerate(REGIONS)]
    for (code, name_en, name_ru, name_kk, population), kind, sort_order in rows:
        Region.objects.update_or_create(
            code=code,
            defaults={
                "name_en": name_en,
                "name_ru": name_ru,
                "name_kk": name_kk,
                "kind": kind,
                "population": population,
                "sort_order": sort_order,
            },
        )


def unload_regions(apps, schema_editor):
    Region = apps.get_model("accounts", "Region")
    codes = [row[0] for row in CITIES + REGIONS]
    Region.objects.filter(code__in=codes, children__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(load_regions, unload_regions)]
