"""The foundation schema: people, reference data, stock, requests, dispatch, checks, documents

Revision ID: 0001_foundation
Revises: 
Create Date: 2026-11-26 15:39:14.393506
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (SQLModel's AutoString columns)
import health_responder.db  # noqa: F401  (UTCDateTime)


revision = '0001_foundation'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('network',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network')),
    sa.UniqueConstraint('code', name=op.f('uq_network_code'))
    )
    op.create_table('provider',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('contact_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('contact_email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('contact_phone', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('created_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider')),
    sa.UniqueConstraint('name', name=op.f('uq_provider_name'))
    )
    op.create_table('training_topic',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_training_topic'))
    )
    op.create_table('city',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('delivery_address', sa.Text(), nullable=True),
    sa.Column('contact_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('contact_email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('contact_phone', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('created_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['network.id'], name=op.f('fk_city_network_id_network')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_city')),
    sa.UniqueConstraint('name', name=op.f('uq_city_name'))
    )
    with op.batch_alter_table('city', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_city_country'), ['country'], unique=False)
        batch_op.create_index(batch_op.f('ix_city_network_id'), ['network_id'], unique=False)

    op.create_table('item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('requires_cold_chain', sa.Boolean(), nullable=False),
    sa.Column('requires_training', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requires_training'], ['training_topic.code'], name=op.f('fk_item_requires_training_training_topic')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item')),
    sa.UniqueConstraint('code', name=op.f('uq_item_code'))
    )
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_category'), ['category'], unique=False)
        batch_op.create_index('ix_item_name', ['name'], unique=False)

    op.create_table('provider_network',
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['network.id'], name=op.f('fk_provider_network_network_id_network')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_provider_network_provider_id_provider'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('provider_id', 'network_id', name=op.f('pk_provider_network'))
    )
    with op.batch_alter_table('provider_network', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_network_network_id'), ['network_id'], unique=False)

    op.create_table('stock_location',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_stock_location_provider_id_provider')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_location'))
    )
    with op.batch_alter_table('stock_location', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_location_provider_id'), ['provider_id'], unique=False)

    op.create_table('stock_lot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('lot_code', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('created_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('available', 'quarantined', 'recalled')", name=op.f('ck_stock_lot_status_known')),
    sa.CheckConstraint('on_hand >= 0', name=op.f('ck_stock_lot_on_hand_not_negative')),
    sa.CheckConstraint('reserved <= on_hand', name=op.f('ck_stock_lot_reserved_within_on_hand')),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_stock_lot_reserved_not_negative')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_stock_lot_item_id_item')),
    sa.ForeignKeyConstraint(['location_id'], ['stock_location.id'], name=op.f('fk_stock_lot_location_id_stock_location')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_stock_lot_provider_id_provider')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_lot')),
    sa.UniqueConstraint('location_id', 'item_id', 'lot_code', name='uq_stock_lot_location_item_code')
    )
    with op.batch_alter_table('stock_lot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_lot_expires_on'), ['expires_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_lot_item_id'), ['item_id'], unique=False)
        batch_op.create_index('ix_stock_lot_item_status', ['item_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_lot_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_lot_provider_id'), ['provider_id'], unique=False)

    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=True),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('locale', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('created_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(role = 'city' AND city_id IS NOT NULL AND provider_id IS NULL) OR (role = 'provider' AND provider_id IS NOT NULL AND city_id IS NULL) OR (role IN ('coordinator', 'admin') AND city_id IS NULL AND provider_id IS NULL)", name=op.f('ck_user_tenant_matches_role')),
    sa.CheckConstraint("role IN ('city', 'provider', 'coordinator', 'admin')", name=op.f('ck_user_role_known')),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name=op.f('fk_user_city_id_city')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_user_provider_id_provider')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('email', name=op.f('uq_user_email'))
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_city_id'), ['city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_provider_id'), ['provider_id'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_api_token_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('assistance_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('priority', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('priority_rank', sa.Integer(), nullable=False),
    sa.Column('needed_by', sa.Date(), nullable=False),
    sa.Column('justification', sa.Text(), nullable=False),
    sa.Column('delivery_contact', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('approved_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('rejected_reason', sa.Text(), nullable=True),
    sa.Column('cancelled_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('close_note', sa.Text(), nullable=True),
    sa.CheckConstraint("priority IN ('critical', 'high', 'normal', 'low')", name=op.f('ck_assistance_request_priority_known')),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'approved', 'partially_allocated', 'allocated', 'partially_dispatched', 'dispatched', 'delivered', 'closed', 'rejected', 'cancelled')", name=op.f('ck_assistance_request_status_known')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user.id'], name=op.f('fk_assistance_request_approved_by_id_user')),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name=op.f('fk_assistance_request_city_id_city')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_assistance_request_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assistance_request')),
    sa.UniqueConstraint('reference', name=op.f('uq_assistance_request_reference'))
    )
    with op.batch_alter_table('assistance_request', schema=None) as batch_op:
        batch_op.create_index('ix_assistance_request_city_created', ['city_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assistance_request_city_id'), ['city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assistance_request_needed_by'), ['needed_by'], unique=False)
        batch_op.create_index('ix_assistance_request_queue', ['status', 'priority_rank', 'needed_by', 'submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_assistance_request_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_assistance_request_submitted_at'), ['submitted_at'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('subject_type', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_audit_event_actor_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index('ix_audit_event_subject', ['subject_type', 'subject_id'], unique=False)

    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('subject_type', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('subject_key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('data_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('path', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('verification_code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=True),
    sa.Column('created_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('superseded_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('superseded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_document_created_by_id_user')),
    sa.ForeignKeyConstraint(['superseded_by_id'], ['document.id'], name=op.f('fk_document_superseded_by_id_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
    sa.UniqueConstraint('verification_code', name=op.f('uq_document_verification_code'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_sha256'), ['sha256'], unique=False)
        batch_op.create_index('ix_document_subject', ['kind', 'subject_type', 'subject_key'], unique=False)

    op.create_table('idempotency_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('endpoint', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('body_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('created_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_idempotency_key_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_key')),
    sa.UniqueConstraint('user_id', 'key', name='uq_idempotency_key_user_key')
    )
    op.create_table('job_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('scheduled_for', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('trigger', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('started_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lease_until', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('runner', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_job_run_requested_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_run')),
    sa.UniqueConstraint('name', 'scheduled_for', name='uq_job_run_name_tick')
    )
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_run_outcome'), ['outcome'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('created_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('email_status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('email_attempts', sa.Integer(), nullable=False),
    sa.Column('email_sent_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('email_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('message_id', name=op.f('uq_notification_message_id'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_email_status'), ['email_status'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_user_id'), ['user_id'], unique=False)

    op.create_table('alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('severity', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('dedup_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('subject_type', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('city_id', sa.Integer(), nullable=True),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('job_run_id', sa.Integer(), nullable=True),
    sa.Column('created_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name=op.f('fk_alert_city_id_city')),
    sa.ForeignKeyConstraint(['job_run_id'], ['job_run.id'], name=op.f('fk_alert_job_run_id_job_run')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_alert_provider_id_provider')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['user.id'], name=op.f('fk_alert_resolved_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert'))
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_city_id'), ['city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_status'), ['status'], unique=False)
        batch_op.create_index('uq_alert_open_key', ['dedup_key'], unique=True, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    op.create_table('dispatch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('carrier', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('tracking_number', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('packages', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('shipped_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('shipped_by_id', sa.Integer(), nullable=True),
    sa.Column('received_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('received_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('cancelled_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('prepared', 'shipped', 'received', 'cancelled')", name=op.f('ck_dispatch_status_known')),
    sa.CheckConstraint('packages IS NULL OR packages > 0', name=op.f('ck_dispatch_packages_positive')),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name=op.f('fk_dispatch_city_id_city')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_dispatch_created_by_id_user')),
    sa.ForeignKeyConstraint(['location_id'], ['stock_location.id'], name=op.f('fk_dispatch_location_id_stock_location')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_dispatch_provider_id_provider')),
    sa.ForeignKeyConstraint(['request_id'], ['assistance_request.id'], name=op.f('fk_dispatch_request_id_assistance_request')),
    sa.ForeignKeyConstraint(['shipped_by_id'], ['user.id'], name=op.f('fk_dispatch_shipped_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatch')),
    sa.UniqueConstraint('reference', name=op.f('uq_dispatch_reference'))
    )
    with op.batch_alter_table('dispatch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispatch_city_id'), ['city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dispatch_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dispatch_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dispatch_shipped_at'), ['shipped_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dispatch_status'), ['status'], unique=False)

    op.create_table('request_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('quantity_allocated', sa.Integer(), nullable=False),
    sa.Column('quantity_dispatched', sa.Integer(), nullable=False),
    sa.Column('quantity_received', sa.Integer(), nullable=False),
    sa.Column('quantity_rejected', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_request_line_quantity_positive')),
    sa.CheckConstraint('quantity_allocated >= 0 AND quantity_allocated <= quantity', name=op.f('ck_request_line_allocated_within')),
    sa.CheckConstraint('quantity_dispatched >= 0 AND quantity_dispatched <= quantity_allocated', name=op.f('ck_request_line_dispatched_within')),
    sa.CheckConstraint('quantity_received >= 0 AND quantity_received + quantity_rejected <= quantity_dispatched', name=op.f('ck_request_line_received_within')),
    sa.CheckConstraint('quantity_rejected >= 0', name=op.f('ck_request_line_rejected_not_negative')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_request_line_item_id_item')),
    sa.ForeignKeyConstraint(['request_id'], ['assistance_request.id'], name=op.f('fk_request_line_request_id_assistance_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_line'))
    )
    with op.batch_alter_table('request_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_line_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_request_line_request_id'), ['request_id'], unique=False)

    op.create_table('stock_movement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('delta_on_hand', sa.Integer(), nullable=False),
    sa.Column('delta_reserved', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('reference_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('reference_id', sa.Integer(), nullable=True),
    sa.Column('job_run_id', sa.Integer(), nullable=True),
    sa.Column('created_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_stock_movement_actor_id_user')),
    sa.ForeignKeyConstraint(['job_run_id'], ['job_run.id'], name=op.f('fk_stock_movement_job_run_id_job_run')),
    sa.ForeignKeyConstraint(['lot_id'], ['stock_lot.id'], name=op.f('fk_stock_movement_lot_id_stock_lot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_movement'))
    )
    with op.batch_alter_table('stock_movement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_movement_lot_id'), ['lot_id'], unique=False)

    op.create_table('allocation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('job_run_id', sa.Integer(), nullable=True),
    sa.Column('dispatch_id', sa.Integer(), nullable=True),
    sa.Column('created_at', health_responder.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('released_at', health_responder.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('reserved', 'dispatched', 'released')", name=op.f('ck_allocation_status_known')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_allocation_quantity_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_allocation_created_by_id_user')),
    sa.ForeignKeyConstraint(['dispatch_id'], ['dispatch.id'], name=op.f('fk_allocation_dispatch_id_dispatch')),
    sa.ForeignKeyConstraint(['job_run_id'], ['job_run.id'], name=op.f('fk_allocation_job_run_id_job_run')),
    sa.ForeignKeyConstraint(['line_id'], ['request_line.id'], name=op.f('fk_allocation_line_id_request_line')),
    sa.ForeignKeyConstraint(['lot_id'], ['stock_lot.id'], name=op.f('fk_allocation_lot_id_stock_lot')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_allocation_provider_id_provider')),
    sa.ForeignKeyConstraint(['request_id'], ['assistance_request.id'], name=op.f('fk_allocation_request_id_assistance_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocation'))
    )
    with op.batch_alter_table('allocation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allocation_dispatch_id'), ['dispatch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocation_job_run_id'), ['job_run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocation_line_id'), ['line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocation_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocation_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocation_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocation_status'), ['status'], unique=False)

    op.create_table('dispatch_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispatch_id', sa.Integer(), nullable=False),
    sa.Column('request_line_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=True),
    sa.Column('rejected', sa.Integer(), nullable=True),
    sa.Column('rejection_reason', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('rejection_note', sa.Text(), nullable=True),
    sa.CheckConstraint('accepted IS NULL OR (accepted >= 0 AND rejected >= 0 AND accepted + rejected = quantity)', name=op.f('ck_dispatch_line_receipt_adds_up')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_dispatch_line_quantity_positive')),
    sa.ForeignKeyConstraint(['dispatch_id'], ['dispatch.id'], name=op.f('fk_dispatch_line_dispatch_id_dispatch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_dispatch_line_item_id_item')),
    sa.ForeignKeyConstraint(['lot_id'], ['stock_lot.id'], name=op.f('fk_dispatch_line_lot_id_stock_lot')),
    sa.ForeignKeyConstraint(['request_line_id'], ['request_line.id'], name=op.f('fk_dispatch_line_request_line_id_request_line')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatch_line')),
    sa.UniqueConstraint('dispatch_id', 'request_line_id', 'lot_id', name='uq_dispatch_line_line_lot')
    )
    with op.batch_alter_table('dispatch_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispatch_line_dispatch_id'), ['dispatch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dispatch_line_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dispatch_line_request_line_id'), ['request_line_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('dispatch_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispatch_line_request_line_id'))
        batch_op.drop_index(batch_op.f('ix_dispatch_line_lot_id'))
        batch_op.drop_index(batch_op.f('ix_dispatch_line_dispatch_id'))

    op.drop_table('dispatch_line')
    with op.batch_alter_table('allocation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allocation_status'))
        batch_op.drop_index(batch_op.f('ix_allocation_request_id'))
        batch_op.drop_index(batch_op.f('ix_allocation_provider_id'))
        batch_op.drop_index(batch_op.f('ix_allocation_lot_id'))
        batch_op.drop_index(batch_op.f('ix_allocation_line_id'))
        batch_op.drop_index(batch_op.f('ix_allocation_job_run_id'))
        batch_op.drop_index(batch_op.f('ix_allocation_dispatch_id'))

    op.drop_table('allocation')
    with op.batch_alter_table('stock_movement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_movement_lot_id'))

    op.drop_table('stock_movement')
    with op.batch_alter_table('request_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_line_request_id'))
        batch_op.drop_index(batch_op.f('ix_request_line_item_id'))

    op.drop_table('request_line')
    with op.batch_alter_table('dispatch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispatch_status'))
        batch_op.drop_index(batch_op.f('ix_dispatch_shipped_at'))
        batch_op.drop_index(batch_op.f('ix_dispatch_request_id'))
        batch_op.drop_index(batch_op.f('ix_dispatch_provider_id'))
        batch_op.drop_index(batch_op.f('ix_dispatch_city_id'))

    op.drop_table('dispatch')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index('uq_alert_open_key', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index(batch_op.f('ix_alert_status'))
        batch_op.drop_index(batch_op.f('ix_alert_provider_id'))
        batch_op.drop_index(batch_op.f('ix_alert_kind'))
        batch_op.drop_index(batch_op.f('ix_alert_city_id'))

    op.drop_table('alert')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_user_id'))
        batch_op.drop_index(batch_op.f('ix_notification_email_status'))

    op.drop_table('notification')
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_run_outcome'))

    op.drop_table('job_run')
    op.drop_table('idempotency_key')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index('ix_document_subject')
        batch_op.drop_index(batch_op.f('ix_document_sha256'))

    op.drop_table('document')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_subject')
        batch_op.drop_index(batch_op.f('ix_audit_event_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))

    op.drop_table('audit_event')
    with op.batch_alter_table('assistance_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assistance_request_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_assistance_request_status'))
        batch_op.drop_index('ix_assistance_request_queue')
        batch_op.drop_index(batch_op.f('ix_assistance_request_needed_by'))
        batch_op.drop_index(batch_op.f('ix_assistance_request_city_id'))
        batch_op.drop_index('ix_assistance_request_city_created')

    op.drop_table('assistance_request')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_provider_id'))
        batch_op.drop_index(batch_op.f('ix_user_city_id'))

    op.drop_table('user')
    with op.batch_alter_table('stock_lot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_lot_provider_id'))
        batch_op.drop_index(batch_op.f('ix_stock_lot_location_id'))
        batch_op.drop_index('ix_stock_lot_item_status')
        batch_op.drop_index(batch_op.f('ix_stock_lot_item_id'))
        batch_op.drop_index(batch_op.f('ix_stock_lot_expires_on'))

    op.drop_table('stock_lot')
    with op.batch_alter_table('stock_location', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_location_provider_id'))

    op.drop_table('stock_location')
    with op.batch_alter_table('provider_network', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_network_network_id'))

    op.drop_table('provider_network')
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_index('ix_item_name')
        batch_op.drop_index(batch_op.f('ix_item_category'))

    op.drop_table('item')
    with op.batch_alter_table('city', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_city_network_id'))
        batch_op.drop_index(batch_op.f('ix_city_country'))

    op.drop_table('city')
    op.drop_table('training_topic')
    op.drop_table('provider')
    op.drop_table('network')
