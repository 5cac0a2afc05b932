"""Create the role groups and grant each its permissions.

Permissions are normally created by ``post_migrate``, after every migration
has run; this migration creates the few it needs itself (``get_or_create``,
so ``post_migrate`` later finds them and does nothing).  Role names and the
grants are frozen copies of ``accounts.roles`` as of this migration.
"""

from django.db import migrations

PERMISSION_NAMES = {
    "participate": "Can take part: comment, sign, vote",
    "moderate_content": "Can moderate user content",
    "manage_consultations": "Can manage consultations",
    "manage_petitions": "Can manage petitions",
    "manage_elections": "Can manage elections",
    "act_as_trustee": "Can act as an election trustee",
    "audit_records": "Can audit published records",
}

ROLE_PERMISSIONS = {
    "citizen": ["participate"],
    "moderator": ["moderate_content"],
    "official": [
        "manage_consultations",
        "manage_petitions",
        "manage_elections",
        "moderate_content",
    ],
    "trustee": ["act_as_trustee"],
    "auditor": ["audit_records"],
}


def create_roles(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(
        app_label="accounts", model="user"
    )
    permissions = {
        codename: Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )[0]
        for codename, name in PERMISSION_NAMES.items()
    }
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set([permissions[codename] for codename in codenames])


def delete_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_load_regions"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
