"""Pulse configuration: the one place that reads the environment.

Every setting has the prefix ``PULSE_`` (``PULSE_WAREHOUSE``, ``PULSE_REDIS_URL``…).
``BIGQUERY_PROJECT`` and ``REDIS_URL`` are also accepted without the prefix, as the
product card promises.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# BigQuery dataset names: letters, digits and underscores, at most 1024 chars.
_DATASET_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,1023}$")
# BigQuery project ids: 6-30 chars, lowercase letters, digits, hyphens (optionally "domain:").
_PROJECT_RE = re.compile(r"^([a-z0-9.-]+:)?[a-z][a-z0-9-]{4,29}$")

SOURCES = ("hubspot", "quickbooks", "zendesk")


def validate_identifier(value: str, what: str = "dataset") -> str:
    """Return ``value`` if it is a safe BigQuery/DuckDB dataset or table identifier.

    Raises:
        ValueError: naming ``what`` and the offending value, if it contains anything
            but letters, digits and underscores (or starts with a digit).
    """
    if not isinstance(value, str) or not _DATASET_RE.match(value):
        raise ValueError(f"{what} {value!r} is not a valid identifier (letters, digits, _)")
    return value


class Settings(BaseSettings):
    """Pulse settings, read once from environment variables (prefix ``PULSE_``)."""

    model_config = SettingsConfigDict(env_prefix="PULSE_", extra="ignore", populate_by_name=True)

    warehouse: Literal["duckdb", "bigquery"] = "duckdb"
    duckdb_path: Path = Path("var/pulse.duckdb")

    bigquery_project: str | None = Field(
        default=None, validation_alias=AliasChoices("PULSE_BIGQUERY_PROJECT", "BIGQUERY_PROJECT")
    )
    bigquery_location: str | None = None
    bigquery_maximum_bytes_billed: int = 50 * 1024**3  # 50 GiB per query
    bigquery_api_endpoint: str | None = None  # only for local emulators (tests)
    sql_overrides_dir: Path | None = None  # <dir>/staging/<model>.sql replaces the shipped staging model

    hubspot_dataset: str = "hubspot"
    quickbooks_dataset: str = "quickbooks"
    zendesk_dataset: str = "zendesk"
    sales_pipeline_id: str = "demand_sales"  # HubSpot pipeline id of the demand sales pipeline

    redis_url: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("PULSE_REDIS_URL", "REDIS_URL")
    )
    as_of_date: dt.date | None = None
    timezone: str = "America/New_York"
    host: str = "127.0.0.1"
    port: int = 8050
    targets_path: Path = PROJECT_ROOT / "targets" / "targets.json"
    refresh_on_start: bool = True
    cache_retry_after_s: float = 5.0  # after a Redis failure, serve in-process copies this long before retrying
    query_timeout_s: float = 300.0  # per query; a query running longer is cancelled, not retried
    refresh_attempts: int = 3  # tries per query for transient errors (exponential backoff with jitter)
    refresh_backoff_s: float = 2.0
    refresh_backoff_max_s: float = 60.0
    simplefin_access_url: SecretStr | None = None  # SimpleFIN Bridge Access URL (credentials inside)
    simplefin_account_ids: Annotated[list[str] | None, NoDecode] = None  # allow-list, comma-separated
    simplefin_timeout_s: float = 20.0

    @field_validator("hubspot_dataset", "quickbooks_dataset", "zendesk_dataset")
    @classmethod
    def _dataset_is_identifier(cls, v: str) -> str:
        return validate_identifier(v, "dataset")

    @field_validator("bigquery_project")
    @classmethod
    def _project_is_identifier(cls, v: str | None) -> str | None:
        if v is not None and not _PROJECT_RE.match(v):
            raise ValueError(f"BIGQUERY_PROJECT {v!r} is not a valid project id")
        return v

    @field_validator("simplefin_account_ids", mode="before")
    @classmethod
    def _comma_list(cls, v):
        if isinstance(v, str):
            return [x.strip() for x in v.split(",") if x.strip()] or None
        return v

    @field_validator("timezone")
    @classmethod
    def _timezone_exists(cls, v: str) -> str:
        ZoneInfo(v)  # raises ZoneInfoNotFoundError with the name
        return v

    @property
    def backend(self) -> Literal["duckdb", "bigquery"]:
        """``PULSE_WAREHOUSE`` when given; otherwise BigQuery exactly when a project is set."""
        if "warehouse" in self.model_fields_set:
            return self.warehouse
        return "bigquery" if self.bigquery_project else "duckdb"

    @property
    def datasets(self) -> dict[str, str]:
        """Logical source name (as written in the SQL files) → configured dataset name."""
        return {
            "hubspot": self.hubspot_dataset,
            "quickbooks": self.quickbooks_dataset,
            "zendesk": self.zendesk_dataset,
        }

    def today(self) -> dt.date:
        """The as-of date: ``AS_OF_DATE`` if set, else today in the company time zone."""
        if self.as_of_date:
            return self.as_of_date
        return dt.datetime.now(ZoneInfo(self.timezone)).date()

    def resolved_duckdb_path(self) -> Path:
        p = self.duckdb_path
        return p if p.is_absolute() else PROJECT_ROOT / p


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read from the environment once)."""
    return Settings()
