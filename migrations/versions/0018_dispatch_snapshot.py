"""Dispatches keep what their documents print as it was when they shipped: lot and item on each line, parties on the dispatch

Revision ID: 0018_dispatch_snapshot
Revises: 0017_material_versions

Dispatches already shipped are filled from the rows as they are now: the best record there is of
what they carried (dispatch/snapshot.py writes the same facts at every ship from now on).
"""
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (SQLModel's AutoString columns)
from alembic import op


revision = '0018_dispatch_snapshot'
down_revision = '0017_material_versions'
branch_labels = None
depends_on = None

dispatch = sa.table(
    'dispatch',
    sa.column('id'), sa.column('status'), sa.column('request_id'), sa.column('provider_id'),
    sa.column('city_id'), sa.column('location_id'), sa.column('created_by_id'), sa.column('shipped_by_id'),
    sa.column('parties_at_ship', sa.JSON),
)
line = sa.table(
    'dispatch_line',
    sa.column('id'), sa.column('dispatch_id'), sa.column('lot_id'), sa.column('item_id'),
    sa.column('lot_code'), sa.column('lot_expires_on'), sa.column('item_code'), sa.column('item_name'),
    sa.column('item_unit'), sa.column('item_cold_chain'),
)
lot = sa.table('stock_lot', sa.column('id'), sa.column('lot_code'), sa.column('expires_on'))
item = sa.table(
    'item', sa.column('id'), sa.column('code'), sa.column('name'), sa.column('unit'),
    sa.column('requires_cold_chain'),
)
request = sa.table(
    'assistance_request', sa.column('id'), sa.column('reference'), sa.column('priority'),
    sa.column('delivery_contact'),
)
provider = sa.table(
    'provider', sa.column('id'), sa.column('name'), sa.column('country'), sa.column('contact_name'),
    sa.column('contact_email'), sa.column('contact_phone'),
)
city = sa.table(
    'city', sa.column('id'), sa.column('name'), sa.column('country'), sa.column('delivery_address'),
    sa.column('contact_name'), sa.column('contact_email'), sa.column('contact_phone'),
)
location = sa.table('stock_location', sa.column('id'), sa.column('name'), sa.column('address'))
user = sa.table('user', sa.column('id'), sa.column('name'), sa.column('email'))


def _joined(*parts):
    return " · ".join(part for part in parts if part)


def _backfill(conn) -> None:
    names = {uid: name or email for uid, name, email in conn.execute(sa.select(user.c.id, user.c.name, user.c.email))}
    shipped = conn.execute(
        sa.select(
            dispatch.c.id, request.c.reference, request.c.priority, request.c.delivery_contact,
            provider.c.name, provider.c.country, provider.c.contact_name, provider.c.contact_email,
            provider.c.contact_phone, location.c.name, location.c.address, city.c.name, city.c.country,
            city.c.delivery_address, city.c.contact_name, city.c.contact_email, city.c.contact_phone,
            dispatch.c.created_by_id, dispatch.c.shipped_by_id,
        )
        .join(request, request.c.id == dispatch.c.request_id)
        .join(provider, provider.c.id == dispatch.c.provider_id)
        .join(city, city.c.id == dispatch.c.city_id)
        .join(location, location.c.id == dispatch.c.location_id)
        .where(dispatch.c.status.in_(['shipped', 'received']))
    ).all()
    for row in shipped:
        (dispatch_id, reference, priority, delivery_contact, p_name, p_country, p_contact, p_email, p_phone,
         l_name, l_address, c_name, c_country, c_address, c_contact, c_email, c_phone, prepared, sent) = row
        parties = {
            "request_reference": reference,
            "priority": priority,
            "sender": {
                "name": p_name, "country": p_country, "address": l_address or "",
                "contact": _joined(p_contact, p_email, p_phone),
            },
            "sender_location": l_name,
            "recipient": {
                "name": c_name, "country": c_country, "address": c_address or "",
                "contact": delivery_contact or _joined(c_contact, c_email, c_phone),
            },
            "prepared_by": names.get(prepared, "") if prepared else "",
            "dispatched_by": names.get(sent, "") if sent else "",
        }
        conn.execute(sa.update(dispatch).where(dispatch.c.id == dispatch_id).values(parties_at_ship=parties))
    lines = conn.execute(
        sa.select(line.c.id, lot.c.lot_code, lot.c.expires_on, item.c.code, item.c.name, item.c.unit,
                  item.c.requires_cold_chain)
        .join(lot, lot.c.id == line.c.lot_id)
        .join(item, item.c.id == line.c.item_id)
        .join(dispatch, dispatch.c.id == line.c.dispatch_id)
        .where(dispatch.c.status.in_(['shipped', 'received']))
    ).all()
    for line_id, lot_code, expires_on, code, name, unit, cold_chain in lines:
        conn.execute(
            sa.update(line).where(line.c.id == line_id).values(
                lot_code=lot_code, lot_expires_on=expires_on, item_code=code, item_name=name,
                item_unit=unit, item_cold_chain=cold_chain,
            )
        )


def upgrade() -> None:
    with op.batch_alter_table('dispatch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parties_at_ship', sa.JSON(), nullable=True))
    with op.batch_alter_table('dispatch_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lot_code', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True))
        batch_op.add_column(sa.Column('lot_expires_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('item_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('item_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('item_unit', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('item_cold_chain', sa.Boolean(), nullable=True))
    _backfill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table('dispatch_line', schema=None) as batch_op:
        batch_op.drop_column('item_cold_chain')
        batch_op.drop_column('item_unit')
        batch_op.drop_column('item_name')
        batch_op.drop_column('item_code')
        batch_op.drop_column('lot_expires_on')
        batch_op.drop_column('lot_code')
    with op.batch_alter_table('dispatch', schema=None) as batch_op:
        batch_op.drop_column('parties_at_ship')
