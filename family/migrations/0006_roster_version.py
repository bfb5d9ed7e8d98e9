from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("family", "0005_planning_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="family",
            name="roster_version",
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
    ]
