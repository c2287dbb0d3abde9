# The case simulator's runs (segmenta/learning/models_sim.py).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_clinic_letterhead'),
        ('learning', '0001_continuing_education'),
    ]

    operations = [
        migrations.CreateModel(
            name='SimulatorRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('vignette', models.CharField(max_length=64, verbose_name='case')),
                ('step', models.CharField(choices=[('history', 'History'), ('map', 'Body map'), ('plan', 'Fields and injections'), ('done', 'Debrief')], default='history', max_length=10, verbose_name='step')),
                ('answers', models.JSONField(default=dict, verbose_name='answers')),
                ('score', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='score')),
                ('breakdown', models.JSONField(blank=True, default=dict, verbose_name='score by part')),
                ('knowledge_version', models.CharField(blank=True, max_length=64, verbose_name='knowledge version')),
                ('started_at', models.DateTimeField(auto_now_add=True, verbose_name='started')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished')),
                ('clinic', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.clinic')),
                ('membership', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='simulator_runs', to='accounts.membership', verbose_name='practitioner')),
            ],
            options={
                'verbose_name': 'simulator run',
                'verbose_name_plural': 'simulator runs',
                'ordering': ['-started_at', '-id'],
                'indexes': [models.Index(fields=['clinic', 'membership', 'vignette'], name='learning_simrun_who_case')],
            },
        ),
    ]
