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
        batch_op.create_index(batch_op.f('ix_person_history_person_id'), ['person_id'], unique=False)

    op.create_table('quarantined_rows',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('row_number', sa.Integer(), nullable=False),
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
        batch_op.create_index(batch_op.f('ix_source_records_dataset_id'), ['dataset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_source_records_last_batch_id'), ['last_batch_id'], unique=False)
        batch_op.create_index('ix_source_records_match', ['family_name', 'date_of_birth'], unique=False)
        batch_op.create_index(batch_op.f('ix_source_records_nhs_number'), ['nhs_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_source_records_ni_number'), ['ni_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_source_records_postcode'), ['postcode'], unique=False)
        batch_op.create_index(batch_op.f('ix_source_records_uln'), ['uln'], unique=False)
        batch_op.create_index(batch_op.f('ix_source_records_upn'), ['upn'], unique=False)

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
        batch_op.create_index(batch_op.f('ix_review_items_status'), ['status'], unique=False)

    op.create_table('source_record_versions',
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source_record_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('record', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('quality_flags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('change', sa.String(length=16), nullable=False),
    sa.Column('changed_by', sa.String(length=255), nullable=True),
    sa.Column('created_at', joinedup.store.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['ingest_batches.id'], name=op.f('fk_source_record_versions_batch_id_ingest_batches')),
    sa.ForeignKeyConstraint(['source_record_id'], ['source_records.id'], name=op.f('fk_source_record_versions_source_record_id_source_records')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_record_versions')),
    sa.UniqueConstraint('source_record_id', 'version', name=op.f('uq_source_record_versions_source_record_id_version'))
    )
    with op.batch_alter_table('source_record_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_record_versions_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_source_record_versions_source_record_id'), ['source_record_id'], unique=False)

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



def downgrade() -> None:
    with op.batch_alter_table('match_constraints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_constraints_record_id_r'))
        batch_op.drop_index(batch_op.f('ix_match_constraints_record_id_l'))

    op.drop_table('match_constraints')
    with op.batch_alter_table('source_record_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_record_versions_source_record_id'))
        batch_op.drop_index(batch_op.f('ix_source_record_versions_batch_id'))

    op.drop_table('source_record_versions')
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_items_status'))
        batch_op.drop_index('ix_review_items_pair')

    op.drop_table('review_items')
    with op.batch_alter_table('person_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_links_person_id'))

    op.drop_table('person_links')
    with op.batch_alter_table('source_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_records_upn'))
        batch_op.drop_index(batch_op.f('ix_source_records_uln'))
        batch_op.drop_index(batch_op.f('ix_source_records_postcode'))
        batch_op.drop_index(batch_op.f('ix_source_records_ni_number'))
        batch_op.drop_index(batch_op.f('ix_source_records_nhs_number'))
        batch_op.drop_index('ix_source_records_match')
        batch_op.drop_index(batch_op.f('ix_source_records_last_batch_id'))
        batch_op.drop_index(batch_op.f('ix_source_records_dataset_id'))

    op.drop_table('source_records')
    with op.batch_alter_table('quarantined_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quarantined_rows_batch_id'))

    op.drop_table('quarantined_rows')
    with op.batch_alter_table('person_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_history_person_id'))

    op.drop_table('person_history')
    op.drop_table('persons')
    op.drop_table('issued_person_numbers')
    with op.batch_alter_table('ingest_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ingest_batches_dataset_id'))
        batch_op.drop_index(batch_op.f('ix_ingest_batches_content_hash'))

    op.drop_table('ingest_batches')
    op.drop_table('link_runs')
    with op.batch_alter_table('datasets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_datasets_organisation_id'))

    op.drop_table('datasets')
    op.drop_table('organisations')
    op.drop_table('linkage_models')
