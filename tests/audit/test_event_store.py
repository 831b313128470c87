"""The event index tables: exact uint256 columns and the migration's downgrade."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, select

from twinledger.store import make_engine, make_session_factory, migrate
from twinledger.store.base import MIGRATIONS_DIR
from twinledger.store.events import IndexedEvent

MAX_UINT256 = 2**256 - 1


def _event(amount: int, log_index: int) -> IndexedEvent:
    return IndexedEvent(
        contract="PaymentVault", contract_address="0x" + "11" * 20, event="Credited", block_number=1,
        block_hash="0x" + "22" * 32, block_timestamp=1, tx_hash="0x" + "33" * 32, log_index=log_index,
        args={}, twin_id=MAX_UINT256, amount=amount,
    )


def test_uint256_columns_exact_and_ordered(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    sessions = make_session_factory(engine)
    amounts = [MAX_UINT256, 2**63 + 1, 10, 9]
    with sessions() as session:
        session.add_all([_event(amount, index) for index, amount in enumerate(amounts)])
        session.commit()

        ordered = list(session.scalars(select(IndexedEvent.amount).order_by(IndexedEvent.amount)))
        above = list(session.scalars(select(IndexedEvent.amount).where(IndexedEvent.amount > 2**63)))
        twin = session.scalars(select(IndexedEvent.twin_id).where(IndexedEvent.twin_id == MAX_UINT256)).first()

    assert ordered == sorted(amounts)
    assert sorted(above) == [2**63 + 1, MAX_UINT256]
    assert twin == MAX_UINT256
    engine.dispose()


def test_event_index_migration_downgrades(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"indexed_events", "undecodable_logs", "indexed_blocks", "indexer_cursor"} <= tables

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001_outbox")

    remaining = set(inspect(engine).get_table_names())
    assert not {"indexed_events", "undecodable_logs", "indexed_blocks", "indexer_cursor"} & remaining
    engine.dispose()
