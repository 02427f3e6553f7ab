"""The emulator's live state, shared by routes and middleware through ``app.state.emu``."""

from __future__ import annotations

import asyncio
import gc

from akeneo_sync.emulator.auth import Auth
from akeneo_sync.emulator.catalog import Catalog
from akeneo_sync.emulator.config import Clock, EmulatorConfig
from akeneo_sync.emulator.events import EventPlatform
from akeneo_sync.emulator.faults import make_rng
from akeneo_sync.emulator.generate import generate_catalog
from akeneo_sync.emulator.render import Renderer
from akeneo_sync.emulator.stats import Stats


class Emulator:
    def __init__(self, config: EmulatorConfig, catalog: Catalog | None = None) -> None:
        self.config = config
        self.clock = Clock()
        self.stats = Stats()
        self.rng = make_rng(config.seed)
        self.catalog = catalog or generate_catalog(
            config.seed,
            config.products,
            families=config.families,
            family_skew=config.family_skew,
            created_days=config.created_days,
        )
        # The catalog is long-lived: freezing it keeps full GC passes from rescanning hundreds
        # of thousands of model codes and interned sets, which showed up as 100 ms page spikes.
        gc.collect()
        gc.freeze()
        self.renderer = Renderer(self.catalog, config)
        self.auth = Auth(config, self.clock, self.stats)
        self.model_mask = self.catalog._mask ^ 0x5A5A5A5A5A5A
        self.write_lock = asyncio.Lock()
        self.events = EventPlatform(config.events, self.clock, config.client_id, config.seed)

    async def item_delay(self, items: int) -> None:
        if self.config.latency_per_item_ms and items:
            await asyncio.sleep(self.config.latency_per_item_ms * items / 1000)
        self.stats.count("items_served", items)
