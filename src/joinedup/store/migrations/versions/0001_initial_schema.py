"""initial schema

Revision ID: 0001
Revises: 
"""

from alembic import op
import sqlalchemy as sa
import joinedup.store.base
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_chain_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=True),
    sa.Column('updated_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head'))
    )
    op.create_table('audit_log',
    sa.Column('seq', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('actor_user_id', sa.BigInteger(), nullable=True),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('roles', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('organisation_id', sa.BigInteger(), nullable=True),
    sa.Column('purpose', sa.String(length=32), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.BigInteger(), nullable=True),
    sa.Column('object_type', sa.String(length=64), nullable=True),
    sa.Column('object_id', sa.String(length=255), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('agreement_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('break_glass', sa.Boolean(), nullable=False),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)
        batch_op.create_index('ix_audit_log_person_seq', ['person_id', 'seq'], unique=False)

    op.create_table('identity_locks',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('held_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_identity_locks'))
    )
    op.create_table('linkage_models',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('trained_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('records_used', sa.Integer(), nullable=False),
    sa.Column('settings', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('report_html', sa.LargeBinary(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_linkage_models')),
    sa.UniqueConstraint('version', name=op.f('uq_linkage_models_version'))
    )
    op.create_table('organisations',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=True),
    sa.Column('created_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('code', name=op.f('uq_organisations_code'))
    )
    op.create_table('users',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=255), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('deactivated_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('agreements',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('provider_organisation_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('created_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['provider_organisation_id'], ['organisations.id'], name=op.f('fk_agreements_provider_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreements')),
    sa.UniqueConstraint('code', name=op.f('uq_agreements_code'))
    )
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreements_provider_organisation_id'), ['provider_organisation_id'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('organisation_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_api_tokens_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('datasets',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('organisation_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('format_version', sa.String(length=16), nullable=False),
    sa.Column('mapping_yaml', sa.Text(), nullable=True),
    sa.Column('settings', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_datasets_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_datasets')),
    sa.UniqueConstraint('organisation_id', 'code', name=op.f('uq_datasets_organisation_id_code'))
    )
    with op.batch_alter_table('datasets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_datasets_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('link_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('model_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('started_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('stats', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['model_id'], ['linkage_models.id'], name=op.f('fk_link_runs_model_id_linkage_models')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_runs'))
    )
    op.create_table('pseudonym_projects',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('key', sa.LargeBinary(), nullable=False),
    sa.Column('created_by_user_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('created_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('retired_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_pseudonym_projects_created_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pseudonym_projects')),
    sa.UniqueConstraint('code', name=op.f('uq_pseudonym_projects_code'))
    )
    op.create_table('user_roles',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('organisation_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('granted_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('granted_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_user_roles_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_roles_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_roles')),
    sa.UniqueConstraint('user_id', 'organisation_id', 'role', name=op.f('uq_user_roles_user_id_organisation_id_role'))
    )
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_roles_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_roles_user_id'), ['user_id'], unique=False)

    op.create_table('agreement_versions',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('agreement_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('purposes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('max_detail', sa.String(length=16), nullable=False),
    sa.Column('finest_aggregation', sa.String(length=16), nullable=False),
    sa.Column('legal_basis', sa.String(length=32), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('change_note', sa.Text(), nullable=True),
    sa.Column('created_by_user_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('created_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('approved_by_user_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('approved_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('status_changed_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_agreement_versions_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['approved_by_user_id'], ['users.id'], name=op.f('fk_agreement_versions_approved_by_user_id_users')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_agreement_versions_created_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_versions')),
    sa.UniqueConstraint('agreement_id', 'version', name=op.f('uq_agreement_versions_agreement_id_version'))
    )
    with op.batch_alter_table('agreement_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_versions_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_versions_status'), ['status'], unique=False)

    op.create_table('ingest_batches',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('dataset_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('file_name', sa.String(length=512), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('snapshot', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('rows_in', sa.Integer(), nullable=False),
    sa.Column('rows_loaded', sa.Integer(), nullable=False),
    sa.Column('rows_quarantined', sa.Integer(), nullable=False),
    sa.Column('rows_new', sa.Integer(), nullable=False),
    sa.Column('rows_changed', sa.Integer(), nullable=False),
    sa.Column('rows_unchanged', sa.Integer(), nullable=False),
    sa.Column('rows_closed', sa.Integer(), nullable=False),
    sa.Column('rows_reopened', sa.Integer(), nullable=False),
    sa.Column('source_format', sa.String(length=16), nullable=True),
    sa.Column('encoding', sa.String(length=32), nullable=True),
    sa.Column('file_size', sa.BigInteger(), nullable=True),
    sa.Column('format_version', sa.Integer(), nullable=False),
    sa.Column('mapping_hash', sa.String(length=64), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=255), nullable=True),
    sa.Column('started_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('report', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_ingest_batches_dataset_id_datasets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ingest_batches'))
    )
    with op.batch_alter_table('ingest_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ingest_batches_content_hash'), ['content_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_ingest_batches_dataset_id'), ['dataset_id'], unique=False)

    op.create_table('issued_person_numbers',
    sa.Column('person_number', sa.String(length=10), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('issued_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['link_runs.id'], name=op.f('fk_issued_person_numbers_run_id_link_runs')),
    sa.PrimaryKeyConstraint('person_number', name=op.f('pk_issued_person_numbers'))
    )
    op.create_table('persons',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('person_number', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('merged_into_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('created_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_run_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['created_run_id'], ['link_runs.id'], name=op.f('fk_persons_created_run_id_link_runs')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['persons.id'], name=op.f('fk_persons_merged_into_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_persons')),
    sa.UniqueConstraint('person_number', name=op.f('uq_persons_person_number'))
    )
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_persons_merged_into_id'), ['merged_into_id'], unique=False)

    op.create_table('agreement_datasets',
    sa.Column('agreement_version_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('dataset_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['agreement_version_id'], ['agreement_versions.id'], name=op.f('fk_agreement_datasets_agreement_version_id_agreement_versions')),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_agreement_datasets_dataset_id_datasets')),
    sa.PrimaryKeyConstraint('agreement_version_id', 'dataset_id', name=op.f('pk_agreement_datasets'))
    )
    op.create_table('agreement_recipients',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('agreement_version_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('organisation_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('role', sa.String(length=32), nullable=True),
    sa.CheckConstraint('(organisation_id IS NULL) <> (role IS NULL)', name=op.f('ck_agreement_recipients_organisation_or_role')),
    sa.ForeignKeyConstraint(['agreement_version_id'], ['agreement_versions.id'], name=op.f('fk_agreement_recipients_agreement_version_id_agreement_versions')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_agreement_recipients_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_recipients'))
    )
    with op.batch_alter_table('agreement_recipients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_recipients_agreement_version_id'), ['agreement_version_id'], unique=False)

    op.create_table('break_glass',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('organisation_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.String(length=16), nullable=False),
    sa.Column('justification', sa.Text(), nullable=False),
    sa.Column('granted_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('reviewed_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_user_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('review_outcome', sa.String(length=16), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_break_glass_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_break_glass_person_id_persons')),
    sa.ForeignKeyConstraint(['reviewed_by_user_id'], ['users.id'], name=op.f('fk_break_glass_reviewed_by_user_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_break_glass_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_break_glass'))
    )
    with op.batch_alter_table('break_glass', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_break_glass_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_break_glass_user_id'), ['user_id'], unique=False)

    op.create_table('dq_field_stats',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('field', sa.String(length=128), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('present', sa.Integer(), nullable=False),
    sa.Column('valid', sa.Integer(), nullable=False),
    sa.Column('distinct_values', sa.Integer(), nullable=True),
    sa.Column('completeness', sa.Float(), nullable=False),
    sa.Column('validity', sa.Float(), nullable=True),
    sa.Column('uniqueness', sa.Float(), nullable=True),
    sa.Column('problems', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['ingest_batches.id'], name=op.f('fk_dq_field_stats_batch_id_ingest_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dq_field_stats')),
    sa.UniqueConstraint('batch_id', 'field', name=op.f('uq_dq_field_stats_batch_id_field'))
    )
    op.create_table('person_history',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('event', sa.String(length=32), nullable=False),
    sa.Column('other_person_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=255), nullable=True),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['other_person_id'], ['persons.id'], name=op.f('fk_person_history_other_person_id_persons')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_person_history_person_id_persons')),
    sa.ForeignKeyConstraint(['run_id'], ['link_runs.id'], name=op.f('fk_person_history_run_id_link_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_history'))
    )
    with op.batch_alter_table('person_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_history_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_history_other_person_id'), ['other_person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_history_person_id'), ['person_id'], unique=False)

    op.create_table('quarantined_rows',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('local_id', sa.String(length=255), nullable=True),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['ingest_batches.id'], name=op.f('fk_quarantined_rows_batch_id_ingest_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantined_rows'))
    )
    with op.batch_alter_table('quarantined_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quarantined_rows_batch_id'), ['batch_id'], unique=False)

    op.create_table('source_records',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('dataset_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('local_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('first_batch_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('last_batch_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('closed_batch_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('updated_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('given_name', sa.String(length=255), nullable=True),
    sa.Column('middle_names', sa.String(length=255), nullable=True),
    sa.Column('family_name', sa.String(length=255), nullable=True),
    sa.Column('previous_family_names', sa.String(length=512), nullable=True),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('sex', sa.String(length=16), nullable=True),
    sa.Column('address_line_1', sa.String(length=255), nullable=True),
    sa.Column('address_line_2', sa.String(length=255), nullable=True),
    sa.Column('address_line_3', sa.String(length=255), nullable=True),
    sa.Column('address_line_4', sa.String(length=255), nullable=True),
    sa.Column('postcode', sa.String(length=16), nullable=True),
    sa.Column('uprn', sa.String(length=16), nullable=True),
    sa.Column('nhs_number', sa.String(length=16), nullable=True),
    sa.Column('upn', sa.String(length=16), nullable=True),
    sa.Column('uln', sa.String(length=16), nullable=True),
    sa.Column('ni_number', sa.String(length=16), nullable=True),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('phone', sa.String(length=64), nullable=True),
    sa.Column('identifiers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('service', sa.String(length=255), nullable=True),
    sa.Column('involvement_type', sa.String(length=64), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('episode_status', sa.String(length=32), nullable=True),
    sa.Column('rag', sa.String(length=8), nullable=True),
    sa.Column('lead_practitioner', sa.String(length=255), nullable=True),
    sa.Column('lead_contact', sa.String(length=255), nullable=True),
    sa.Column('reason_codes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('outcome_codes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('attributes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('quality_flags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['closed_batch_id'], ['ingest_batches.id'], name=op.f('fk_source_records_closed_batch_id_ingest_batches')),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_source_records_dataset_id_datasets')),
    sa.ForeignKeyConstraint(['first_batch_id'], ['ingest_batches.id'], name=op.f('fk_source_records_first_batch_id_ingest_batches')),
    sa.ForeignKeyConstraint(['last_batch_id'], ['ingest_batches.id'], name=op.f('fk_source_records_last_batch_id_ingest_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_records')),
    sa.UniqueConstraint('dataset_id', 'local_id', name=op.f('uq_source_records_dataset_id_local_id'))
    )
    with op.batch_alter_table('source_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_records_updated_at'), ['updated_at'], unique=False)

    op.create_table('consents',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('source_record_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('recipient_organisation_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('purpose', sa.String(length=32), nullable=True),
    sa.Column('decision', sa.String(length=8), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('recorded_by_user_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('recorded_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('withdrawn_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by_user_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('withdrawal_reason', sa.Text(), nullable=True),
    sa.CheckConstraint('person_id IS NOT NULL OR source_record_id IS NOT NULL', name=op.f('ck_consents_has_subject')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_consents_person_id_persons')),
    sa.ForeignKeyConstraint(['recipient_organisation_id'], ['organisations.id'], name=op.f('fk_consents_recipient_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['recorded_by_user_id'], ['users.id'], name=op.f('fk_consents_recorded_by_user_id_users')),
    sa.ForeignKeyConstraint(['source_record_id'], ['source_records.id'], name=op.f('fk_consents_source_record_id_source_records')),
    sa.ForeignKeyConstraint(['withdrawn_by_user_id'], ['users.id'], name=op.f('fk_consents_withdrawn_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consents_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consents_source_record_id'), ['source_record_id'], unique=False)

    op.create_table('data_challenges',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source_record_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('field', sa.String(length=128), nullable=False),
    sa.Column('current_value', sa.Text(), nullable=True),
    sa.Column('proposed_value', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('raised_by_organisation_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('raised_by', sa.String(length=255), nullable=True),
    sa.Column('raised_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by_organisation_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('decided_by', sa.String(length=255), nullable=True),
    sa.Column('decided_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('corrected_version', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_organisation_id'], ['organisations.id'], name=op.f('fk_data_challenges_decided_by_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['raised_by_organisation_id'], ['organisations.id'], name=op.f('fk_data_challenges_raised_by_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['source_record_id'], ['source_records.id'], name=op.f('fk_data_challenges_source_record_id_source_records')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_challenges'))
    )
    with op.batch_alter_table('data_challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_challenges_source_record_id'), ['source_record_id'], unique=False)

    op.create_table('governance_notifications',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('organisation_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('break_glass_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('created_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('read_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('read_by_user_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['break_glass_id'], ['break_glass.id'], name=op.f('fk_governance_notifications_break_glass_id_break_glass')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_governance_notifications_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['read_by_user_id'], ['users.id'], name=op.f('fk_governance_notifications_read_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_governance_notifications'))
    )
    with op.batch_alter_table('governance_notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_governance_notifications_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('linkage_features',
    sa.Column('record_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('given_name', sa.Text(), nullable=True),
    sa.Column('given_formal', sa.Text(), nullable=True),
    sa.Column('given_key', sa.Text(), nullable=True),
    sa.Column('given_ph', sa.Text(), nullable=True),
    sa.Column('middle_first', sa.Text(), nullable=True),
    sa.Column('family_name', sa.Text(), nullable=True),
    sa.Column('family_ph', sa.Text(), nullable=True),
    sa.Column('family_all', sa.Text(), nullable=True),
    sa.Column('dob', sa.String(length=10), nullable=True),
    sa.Column('dob_str', sa.String(length=8), nullable=True),
    sa.Column('dob_y', sa.Integer(), nullable=True),
    sa.Column('dob_m', sa.Integer(), nullable=True),
    sa.Column('dob_d', sa.Integer(), nullable=True),
    sa.Column('sex', sa.String(length=16), nullable=True),
    sa.Column('postcode', sa.Text(), nullable=True),
    sa.Column('postcode_sector', sa.Text(), nullable=True),
    sa.Column('postcode_district', sa.Text(), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('address_number', sa.Text(), nullable=True),
    sa.Column('names_ph', sa.Text(), nullable=True),
    sa.Column('nhs_number', sa.Text(), nullable=True),
    sa.Column('upn', sa.Text(), nullable=True),
    sa.Column('uln', sa.Text(), nullable=True),
    sa.Column('ni_number', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['record_id'], ['source_records.id'], name=op.f('fk_linkage_features_record_id_source_records')),
    sa.PrimaryKeyConstraint('record_id', name=op.f('pk_linkage_features'))
    )
    with op.batch_alter_table('linkage_features', schema=None) as batch_op:
        batch_op.create_index('ix_linkage_features_dob_block', ['dob', 'family_ph', 'given_key', 'names_ph', 'postcode'], unique=False)
        batch_op.create_index('ix_linkage_features_family_block', ['family_ph', 'given_key', 'dob_y', 'dob_m', 'dob_d'], unique=False)
        batch_op.create_index('ix_linkage_features_family_name', ['family_name'], unique=False)
        batch_op.create_index('ix_linkage_features_given_name', ['given_name'], unique=False)
        batch_op.create_index('ix_linkage_features_nhs_number', ['nhs_number'], unique=False, sqlite_where=sa.text('nhs_number IS NOT NULL'), postgresql_where=sa.text('nhs_number IS NOT NULL'))
        batch_op.create_index('ix_linkage_features_ni_number', ['ni_number'], unique=False, sqlite_where=sa.text('ni_number IS NOT NULL'), postgresql_where=sa.text('ni_number IS NOT NULL'))
        batch_op.create_index('ix_linkage_features_postcode_family_sex', ['postcode', 'family_ph', 'sex'], unique=False)
        batch_op.create_index('ix_linkage_features_postcode_given', ['postcode', 'given_key'], unique=False)
        batch_op.create_index('ix_linkage_features_uln', ['uln'], unique=False, sqlite_where=sa.text('uln IS NOT NULL'), postgresql_where=sa.text('uln IS NOT NULL'))
        batch_op.create_index('ix_linkage_features_upn', ['upn'], unique=False, sqlite_where=sa.text('upn IS NOT NULL'), postgresql_where=sa.text('upn IS NOT NULL'))

    op.create_table('person_links',
    sa.Column('source_record_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('match_probability', sa.Float(), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('linked_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_person_links_person_id_persons')),
    sa.ForeignKeyConstraint(['run_id'], ['link_runs.id'], name=op.f('fk_person_links_run_id_link_runs')),
    sa.ForeignKeyConstraint(['source_record_id'], ['source_records.id'], name=op.f('fk_person_links_source_record_id_source_records')),
    sa.PrimaryKeyConstraint('source_record_id', name=op.f('pk_person_links'))
    )
    with op.batch_alter_table('person_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_links_linked_at'), ['linked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_links_person_id'), ['person_id'], unique=False)

    op.create_table('review_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('record_id_l', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('record_id_r', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('match_probability', sa.Float(), nullable=False),
    sa.Column('match_weight', sa.Float(), nullable=False),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.String(length=255), nullable=True),
    sa.Column('decided_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('created_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('record_id_l < record_id_r', name=op.f('ck_review_items_ordered_pair')),
    sa.ForeignKeyConstraint(['record_id_l'], ['source_records.id'], name=op.f('fk_review_items_record_id_l_source_records')),
    sa.ForeignKeyConstraint(['record_id_r'], ['source_records.id'], name=op.f('fk_review_items_record_id_r_source_records')),
    sa.ForeignKeyConstraint(['run_id'], ['link_runs.id'], name=op.f('fk_review_items_run_id_link_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_items'))
    )
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.create_index('ix_review_items_pair', ['record_id_l', 'record_id_r'], unique=False)
        batch_op.create_index('ix_review_items_record_id_r', ['record_id_r'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_items_status'), ['status'], unique=False)

    op.create_table('match_constraints',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('record_id_l', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('record_id_r', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=255), nullable=True),
    sa.Column('review_item_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('created_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind in ('must_link', 'cannot_link')", name=op.f('ck_match_constraints_kind')),
    sa.CheckConstraint('record_id_l < record_id_r', name=op.f('ck_match_constraints_ordered_pair')),
    sa.ForeignKeyConstraint(['record_id_l'], ['source_records.id'], name=op.f('fk_match_constraints_record_id_l_source_records')),
    sa.ForeignKeyConstraint(['record_id_r'], ['source_records.id'], name=op.f('fk_match_constraints_record_id_r_source_records')),
    sa.ForeignKeyConstraint(['review_item_id'], ['review_items.id'], name=op.f('fk_match_constraints_review_item_id_review_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_constraints')),
    sa.UniqueConstraint('record_id_l', 'record_id_r', name=op.f('uq_match_constraints_record_id_l_record_id_r'))
    )
    with op.batch_alter_table('match_constraints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_constraints_record_id_l'), ['record_id_l'], unique=False)
        batch_op.create_index(batch_op.f('ix_match_constraints_record_id_r'), ['record_id_r'], unique=False)

    op.create_table('source_record_versions',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source_record_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('record', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('received', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('quality_flags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('change', sa.String(length=16), nullable=False),
    sa.Column('changed_by', sa.String(length=255), nullable=True),
    sa.Column('challenge_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('created_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['ingest_batches.id'], name=op.f('fk_source_record_versions_batch_id_ingest_batches')),
    sa.ForeignKeyConstraint(['challenge_id'], ['data_challenges.id'], name=op.f('fk_source_record_versions_challenge_id_data_challenges')),
    sa.ForeignKeyConstraint(['source_record_id'], ['source_records.id'], name=op.f('fk_source_record_versions_source_record_id_source_records')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_record_versions')),
    sa.UniqueConstraint('source_record_id', 'version', name=op.f('uq_source_record_versions_source_record_id_version'))
    )
    with op.batch_alter_table('source_record_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_record_versions_batch_id'), ['batch_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('source_record_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_record_versions_batch_id'))

    op.drop_table('source_record_versions')
    with op.batch_alter_table('match_constraints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_constraints_record_id_r'))
        batch_op.drop_index(batch_op.f('ix_match_constraints_record_id_l'))

    op.drop_table('match_constraints')
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_items_status'))
        batch_op.drop_index('ix_review_items_record_id_r')
        batch_op.drop_index('ix_review_items_pair')

    op.drop_table('review_items')
    with op.batch_alter_table('person_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_links_person_id'))
        batch_op.drop_index(batch_op.f('ix_person_links_linked_at'))

    op.drop_table('person_links')
    with op.batch_alter_table('linkage_features', schema=None) as batch_op:
        batch_op.drop_index('ix_linkage_features_upn', sqlite_where=sa.text('upn IS NOT NULL'), postgresql_where=sa.text('upn IS NOT NULL'))
        batch_op.drop_index('ix_linkage_features_uln', sqlite_where=sa.text('uln IS NOT NULL'), postgresql_where=sa.text('uln IS NOT NULL'))
        batch_op.drop_index('ix_linkage_features_postcode_given')
        batch_op.drop_index('ix_linkage_features_postcode_family_sex')
        batch_op.drop_index('ix_linkage_features_ni_number', sqlite_where=sa.text('ni_number IS NOT NULL'), postgresql_where=sa.text('ni_number IS NOT NULL'))
        batch_op.drop_index('ix_linkage_features_nhs_number', sqlite_where=sa.text('nhs_number IS NOT NULL'), postgresql_where=sa.text('nhs_number IS NOT NULL'))
        batch_op.drop_index('ix_linkage_features_given_name')
        batch_op.drop_index('ix_linkage_features_family_name')
        batch_op.drop_index('ix_linkage_features_family_block')
        batch_op.drop_index('ix_linkage_features_dob_block')

    op.drop_table('linkage_features')
    with op.batch_alter_table('governance_notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_governance_notifications_organisation_id'))

    op.drop_table('governance_notifications')
    with op.batch_alter_table('data_challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_challenges_source_record_id'))

    op.drop_table('data_challenges')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consents_source_record_id'))
        batch_op.drop_index(batch_op.f('ix_consents_person_id'))

    op.drop_table('consents')
    with op.batch_alter_table('source_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_records_updated_at'))

    op.drop_table('source_records')
    with op.batch_alter_table('quarantined_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quarantined_rows_batch_id'))

    op.drop_table('quarantined_rows')
    with op.batch_alter_table('person_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_history_person_id'))
        batch_op.drop_index(batch_op.f('ix_person_history_other_person_id'))
        batch_op.drop_index(batch_op.f('ix_person_history_at'))

    op.drop_table('person_history')
    op.drop_table('dq_field_stats')
    with op.batch_alter_table('break_glass', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_break_glass_user_id'))
        batch_op.drop_index(batch_op.f('ix_break_glass_person_id'))

    op.drop_table('break_glass')
    with op.batch_alter_table('agreement_recipients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_recipients_agreement_version_id'))

    op.drop_table('agreement_recipients')
    op.drop_table('agreement_datasets')
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_persons_merged_into_id'))

    op.drop_table('persons')
    op.drop_table('issued_person_numbers')
    with op.batch_alter_table('ingest_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ingest_batches_dataset_id'))
        batch_op.drop_index(batch_op.f('ix_ingest_batches_content_hash'))

    op.drop_table('ingest_batches')
    with op.batch_alter_table('agreement_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_versions_status'))
        batch_op.drop_index(batch_op.f('ix_agreement_versions_agreement_id'))

    op.drop_table('agreement_versions')
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_roles_user_id'))
        batch_op.drop_index(batch_op.f('ix_user_roles_organisation_id'))

    op.drop_table('user_roles')
    op.drop_table('pseudonym_projects')
    op.drop_table('link_runs')
    with op.batch_alter_table('datasets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_datasets_organisation_id'))

    op.drop_table('datasets')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreements_provider_organisation_id'))

    op.drop_table('agreements')
    op.drop_table('users')
    op.drop_table('organisations')
    op.drop_table('linkage_models')
    op.drop_table('identity_locks')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_person_seq')
        batch_op.drop_index(batch_op.f('ix_audit_log_action'))

    op.drop_table('audit_log')
    op.drop_table('audit_chain_head')
