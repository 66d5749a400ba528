"""API tokens move from DRF's ``authtoken`` (plain-text keys) to django-rest-knox's digests (agents.ApiToken).

Every existing key is carried over, so integrations keep working: knox finds a token by its first 15 characters
and compares the SHA-512 digest of the whole key, which a 40-character DRF key satisfies as well as a knox one.
Then the old table, with its plain-text keys, is dropped. Going back creates no DRF tokens (they would have to
be re-issued). docs/decisions.md, "API tokens: django-rest-knox"."""

import hashlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

OLD_TABLE = "authtoken_token"


def carry_over_drf_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("agents", "ApiToken")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {OLD_TABLE}")
        rows = cursor.fetchall()
    for key, user_id, created in rows:
        token = ApiToken(
            digest=hashlib.sha512(key.encode()).hexdigest(),  # knox.crypto.hash_token with its default SHA-512
            token_key=key[:15],
            user_id=user_id,
            expiry=None,
            description="carried over from the former token",
        )
        token.save()
        ApiToken.objects.filter(pk=token.pk).update(created=created)
    schema_editor.execute(f"DROP TABLE {OLD_TABLE}")


class Migration(migrations.Migration):

    dependencies = [
        ('agents', '0005_pause_type_name_ci_unique'),
    ]

    operations = [
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('token_key', models.CharField(db_index=True, max_length=25)),
                ('created', models.DateTimeField(auto_now_add=True)),
                ('expiry', models.DateTimeField(blank=True, null=True)),
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('digest', models.CharField(editable=False, max_length=128, unique=True, verbose_name='digest')),
                ('description', models.CharField(blank=True, help_text='What the token is for, e.g. “PBX”.', max_length=200, verbose_name='description')),
                ('last_used_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='last used at')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='issued by')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='auth_token_set', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'API token',
                'verbose_name_plural': 'API tokens',
                'ordering': ['-created', '-id'],
            },
        ),
        migrations.RunPython(carry_over_drf_tokens, migrations.RunPython.noop),
    ]
