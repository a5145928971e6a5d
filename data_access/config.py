"""Pulse configuration: the one place that reads the environment.

Every setting has the prefix ``PULSE_`` (``PULSE_WAREHOUSE``, ``PULSE_REDIS_URL``…).
``BIGQUERY_PROJECT`` and ``REDIS_URL`` are also accepted without the prefix, as the
product card promises.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# BigQuery dataset names: letters, digits and underscores, at most 1024 chars.
_DATASET_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,1023}$")
# BigQuery project ids: 6-30 chars, lowercase letters, digits, hyphens (optionally "domain:").
_PROJECT_RE = re.compile(r"^([a-z0-9.-]+:)?[a-z][a-z0-9-]{4,29}$")

SOURCES = ("hubspot", "quickbooks", "zendesk", "marketplace", "finance", "surveys")

# HubSpot lifecycle stages of the lead funnel, in order, and the contact property holding the date a
# contact entered each (Fivetran: column ``property_<name>``). Portals with custom stages map them to
# ``hs_v2_date_entered_<stage id>`` with PULSE_HUBSPOT_LIFECYCLE_DATE_PROPERTIES (JSON, any subset).
LIFECYCLE_STAGES = ("lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")
DEFAULT_LIFECYCLE_DATE_PROPERTIES = {s: f"hs_lifecyclestage_{s}_date" for s in LIFECYCLE_STAGES}
_PROPERTY_RE = re.compile(r"^[a-z][a-z0-9_]{0,99}$")  # HubSpot internal property names


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

    # hide_input_in_errors: a bad setting's error never echoes the inputs (secrets among them)
    model_config = SettingsConfigDict(env_prefix="PULSE_", extra="ignore", populate_by_name=True,
                                      hide_input_in_errors=True)

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
    marketplace_dataset: str = "marketplace"  # the app database's venue inventory (not Fivetran HubSpot/QuickBooks)
    finance_dataset: str = "finance"  # the operating budget (month × expense category)
    surveys_dataset: str = "surveys"  # CSAT / NPS survey responses the company loads (surveys.response)
    # KPI history (data_access.history): pulse_metrics.metric_daily, in BigQuery beside the sources or,
    # embedded, in its own DuckDB file (the warehouse file is opened read-only by web and worker)
    metrics_dataset: str = "pulse_metrics"
    metrics_duckdb_path: Path | None = None  # default: beside the warehouse file, var/pulse.metrics.duckdb
    history_days_cached: int = Field(default=400, gt=0)  # days of history the cards read from the cache
    # HubSpot pipeline ids of the sales pipeline(s), comma-separated; HubSpot names a portal's first
    # sales pipeline `default`. PULSE_SALES_PIPELINE_ID (one id, the older setting) still works.
    sales_pipeline_ids: Annotated[list[str], NoDecode] = ["default"]
    sales_pipeline_id: str | None = None  # deprecated single-id form of sales_pipeline_ids
    supply_pipeline_ids: Annotated[list[str], NoDecode] = ["supply_onboarding"]  # venue onboarding pipeline(s)
    # lifecycle stage → HubSpot contact property with the date it was entered (JSON object; stages not
    # given keep the default hs_lifecyclestage_<stage>_date). Mapped on the parsed staging SQL at
    # refresh (data_access.warehouse.lifecycle_columns), never formatted into SQL text.
    hubspot_lifecycle_date_properties: dict[str, str] = dict(DEFAULT_LIFECYCLE_DATE_PROPERTIES)

    redis_url: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("PULSE_REDIS_URL", "REDIS_URL")
    )
    as_of_date: dt.date | None = None
    timezone: str = "America/New_York"
    host: str = "127.0.0.1"
    port: int = 8050
    # live targets (audit.jsonl beside it); until the first save, the shipped targets/targets.json is in force
    targets_path: Path = PROJECT_ROOT / "var" / "targets" / "targets.json"

    # Sign-in and roles (auth.py; README "Deploying")
    auth_mode: Literal["none", "proxy", "password"] = "none"  # none: one local admin, loopback only
    auth_proxy_header: str = "X-Forwarded-Email"  # proxy mode: the header carrying the user's email
    auth_trusted_proxies: Annotated[list[str], NoDecode] = []  # proxy mode: IPs/CIDRs, comma-separated
    auth_users_path: Path | None = None  # password mode: email → password hash (argon2)
    auth_roles_path: Path | None = None  # email → viewer | manager | admin (+ a manager's team)
    secret_key: SecretStr | None = None  # signs session cookies (password mode), ≥ 32 characters
    session_cookie_secure: bool = True  # Secure cookies (HTTPS); false only for plain-HTTP trials
    public_url: str | None = None  # e.g. https://pulse.example.com: the only Origin accepted for POSTs
    login_max_failures: int = Field(default=5, gt=0)  # per email and window, then 429
    login_max_failures_per_ip: int = Field(default=20, gt=0)
    login_window_s: int = Field(default=900, gt=0)
    refresh_on_start: bool = True
    cache_retry_after_s: float = 5.0  # after a Redis failure, serve in-process copies this long before retrying
    query_timeout_s: float = 300.0  # per query; a query running longer is cancelled, not retried
    refresh_attempts: int = 3  # tries per query for transient errors (exponential backoff with jitter)
    refresh_backoff_s: float = 2.0
    refresh_backoff_max_s: float = 60.0
    simplefin_access_url: SecretStr | None = None  # SimpleFIN Bridge Access URL (credentials inside)
    simplefin_account_ids: Annotated[list[str] | None, NoDecode] = None  # allow-list, comma-separated
    simplefin_timeout_s: float = 20.0
    smartlead_api_key: SecretStr | None = None  # Smartlead API key (sent as the api_key query parameter)
    smartlead_base_url: str = "https://server.smartlead.ai/api/v1"  # overridable for local fakes (tests)
    smartlead_timeout_s: float = Field(default=20.0, gt=0)
    # Pulse's own database (data_access.db: audit events, alert rules…); a SQLAlchemy URL that may
    # carry a password, e.g. postgresql+psycopg://pulse:…@db:5432/pulse. Default: var/pulse.db (SQLite)
    database_url: SecretStr | None = None
    # Threshold alerts (data_access.alerts): Slack incoming webhook and/or email over SMTP
    slack_webhook_url: SecretStr | None = None  # https://hooks.slack.com/services/… (a credential)
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False  # STARTTLS before signing in (port 587); implicit TLS: smtp_ssl
    smtp_ssl: bool = False  # implicit TLS (port 465)
    alert_email_from: str = "pulse@localhost"
    alert_email_to: Annotated[list[str], NoDecode] = []  # comma-separated: who gets alerts and the digest

    @field_validator("hubspot_dataset", "quickbooks_dataset", "zendesk_dataset", "marketplace_dataset",
                     "finance_dataset", "surveys_dataset", "metrics_dataset")
    @classmethod
    def _dataset_is_identifier(cls, v: str) -> str:
        return validate_identifier(v, "dataset")

    @field_validator("hubspot_lifecycle_date_properties")
    @classmethod
    def _lifecycle_properties(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(v) - set(LIFECYCLE_STAGES))
        if unknown:
            raise ValueError(f"unknown lifecycle stage(s) {unknown}; the stages are {list(LIFECYCLE_STAGES)}")
        for stage, name in v.items():
            if not isinstance(name, str) or not _PROPERTY_RE.match(name):
                raise ValueError(f"lifecycle property for {stage} is not a HubSpot property name "
                                 "(lower-case letters, digits, _)")
        merged = {**DEFAULT_LIFECYCLE_DATE_PROPERTIES, **v}
        if len(set(merged.values())) != len(merged):
            raise ValueError("two lifecycle stages read the same property")
        return merged

    @field_validator("bigquery_project")
    @classmethod
    def _project_is_identifier(cls, v: str | None) -> str | None:
        if v is not None and not _PROJECT_RE.match(v):
            raise ValueError(f"BIGQUERY_PROJECT {v!r} is not a valid project id")
        return v

    @field_validator("alert_email_to", mode="before")
    @classmethod
    def _addresses(cls, v):
        if isinstance(v, str):
            v = [x.strip() for x in v.split(",") if x.strip()]
        for a in v or []:
            if not re.fullmatch(r"[^@\s,]+@[^@\s,]+", a):
                raise ValueError(f"{a!r} is not an email address")
        return v

    @field_validator("simplefin_account_ids", mode="before")
    @classmethod
    def _comma_list(cls, v):
        if isinstance(v, str):
            return [x.strip() for x in v.split(",") if x.strip()] or None
        return v

    @field_validator("sales_pipeline_ids", "supply_pipeline_ids", mode="before")
    @classmethod
    def _pipeline_list(cls, v):
        if isinstance(v, str):
            v = [x.strip() for x in v.split(",") if x.strip()]
        if not v:
            raise ValueError("give at least one HubSpot pipeline id")
        for pid in v:
            if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,100}", str(pid)):
                raise ValueError(f"pipeline id {pid!r} is not a HubSpot pipeline id")
        return v

    @model_validator(mode="after")
    def _legacy_pipeline_id(self) -> "Settings":
        if self.sales_pipeline_id and "sales_pipeline_ids" not in self.model_fields_set:
            self.sales_pipeline_ids = self._pipeline_list(self.sales_pipeline_id)
        return self

    @field_validator("auth_trusted_proxies", mode="before")
    @classmethod
    def _proxy_list(cls, v):
        if isinstance(v, str):
            v = [x.strip() for x in v.split(",") if x.strip()]
        for net in v or []:
            ipaddress.ip_network(net, strict=False)  # ValueError names the bad address
        return v

    @field_validator("auth_proxy_header")
    @classmethod
    def _header_name(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9-]{1,100}", v):
            raise ValueError(f"auth_proxy_header {v!r} is not a header name")
        return v

    @field_validator("public_url")
    @classmethod
    def _public_origin(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?", v):
            raise ValueError("PULSE_PUBLIC_URL must be an origin like https://pulse.example.com")
        return v

    @model_validator(mode="after")
    def _auth_complete(self) -> "Settings":
        need = {"proxy": ["auth_trusted_proxies", "auth_roles_path"],
                "password": ["auth_users_path", "auth_roles_path", "secret_key"]}.get(self.auth_mode, [])
        missing = [f"PULSE_{n.upper()}" for n in need if not getattr(self, n)]
        if missing:
            raise ValueError(f"PULSE_AUTH_MODE={self.auth_mode} needs {', '.join(missing)}")
        if self.secret_key is not None and len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("PULSE_SECRET_KEY must be at least 32 characters")
        return self

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
            "marketplace": self.marketplace_dataset,
            "finance": self.finance_dataset,
            "surveys": self.surveys_dataset,
        }

    def today(self) -> dt.date:
        """The as-of date: ``AS_OF_DATE`` if set, else today in the company time zone."""
        if self.as_of_date:
            return self.as_of_date
        return dt.datetime.now(ZoneInfo(self.timezone)).date()

    def resolved_duckdb_path(self) -> Path:
        p = self.duckdb_path
        return p if p.is_absolute() else PROJECT_ROOT / p

    def link_base(self) -> str:
        """Where links in alerts and digests point: ``PULSE_PUBLIC_URL``, else this host and port."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def resolved_metrics_duckdb_path(self) -> Path:
        """The embedded KPI history file: ``PULSE_METRICS_DUCKDB_PATH``, else ``<warehouse>.metrics.duckdb``
        beside the warehouse file (each warehouse its own history)."""
        if self.metrics_duckdb_path is None:
            wh = self.resolved_duckdb_path()
            return wh.with_name(f"{wh.stem}.metrics.duckdb")
        p = self.metrics_duckdb_path
        return p if p.is_absolute() else PROJECT_ROOT / p

    def resolved_database_url(self) -> str:
        """Pulse's database URL as a string (a secret: never log it): ``PULSE_DATABASE_URL``, else
        SQLite at ``<project>/var/pulse.db``."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{PROJECT_ROOT / 'var' / 'pulse.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read from the environment once)."""
    return Settings()
