"""AWS prices for the cost model: a versioned data file in the package, overridable per field.

`prices.toml` holds every rate with its source page and the day it was checked; a user file
passed with `--prices` has the same layout and replaces only the fields it names. Amounts are
read as `Decimal` (never float) so cents add up exactly.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Final

from polyregion.errors import ConfigError

PACKAGE_FILE: Final = "prices.toml"

# Every rate the model multiplies by. A price book without one of these is refused at load.
REQUIRED_PRICES: Final = (
    "lambda.requests",
    "lambda.gb_second_arm",
    "dynamodb.read_request_units",
    "dynamodb.write_request_units",
    "dynamodb.replicated_write_request_units",
    "dynamodb.storage",
    "dynamodb.streams_read_requests",
    "cloudfront.https_requests",
    "cloudfront.data_out",
    "s3.storage",
    "s3.put_requests",
    "s3.rtc",
    "transfer.inter_region",
    "route53.hosted_zone",
    "route53.latency_queries",
    "route53.health_check",
    "route53.health_check_option",
    "secretsmanager.secret",
    "secretsmanager.api_calls",
    "apigateway.http_requests",
    "cloudwatch.logs_ingestion",
)
REQUIRED_ASSUMPTIONS: Final = (
    "hours_per_month",
    "health_checkers_per_region",
    "health_probe_ms",
    "origin_resolvers",
    "log_bytes_per_invocation",
)
STATUSES: Final = ("verified", "recalled", "assumption")
_PRICE_FIELDS: Final = ("usd", "per", "unit", "source", "checked", "status", "note", "regional")
_ASSUMPTION_FIELDS: Final = ("value", "unit", "source", "status", "note")


@dataclass(frozen=True, slots=True)
class Price:
    """`usd` buys `per` units (e.g. $0.20 per 1,000,000 requests); `regional` overrides `usd`."""

    key: str
    usd: Decimal
    per: Decimal
    unit: str
    source: str
    checked: str
    status: str
    note: str = ""
    regional: Mapping[str, Decimal] = field(default_factory=dict)

    def rate(self, region: str | None = None) -> Decimal:
        if region is not None and region in self.regional:
            return self.regional[region]
        return self.usd

    def cost(self, quantity: Decimal, region: str | None = None) -> Decimal:
        return quantity * self.rate(region) / self.per

    def describe(self, region: str | None = None) -> str:
        if self.per == 1:
            return f"${_plain(self.rate(region))} per {self.unit}"
        plural = self.unit[:-1] + "ies" if self.unit.endswith("y") else self.unit + "s"
        return f"${_plain(self.rate(region))} per {_count(self.per)} {plural}"


@dataclass(frozen=True, slots=True)
class Assumption:
    key: str
    value: Decimal
    unit: str
    source: str
    status: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class PriceBook:
    version: str
    currency: str
    prices: Mapping[str, Price]
    assumptions: Mapping[str, Assumption]
    source: str = "<package>"

    def __getitem__(self, key: str) -> Price:
        return self.prices[key]

    def assume(self, key: str) -> Decimal:
        return self.assumptions[key].value


def _plain(d: Decimal) -> str:
    """A price without exponent notation or trailing zeros (0.0000133334, 0.2)."""
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _count(d: Decimal) -> str:
    return {Decimal(1_000_000): "1M", Decimal(1_000_000_000): "1B"}.get(d, f"{d:,}")


# -- loading ----------------------------------------------------------------------------------
def load_prices(override: str | Path | None = None) -> PriceBook:
    """The packaged price book, with `override` (a user TOML file) merged over it field by field."""
    text = resources.files("polyregion.cost").joinpath(PACKAGE_FILE).read_text(encoding="utf-8")
    raw = _parse(text, f"polyregion/cost/{PACKAGE_FILE}")
    source = "<package>"
    if override is not None:
        path = Path(override)
        try:
            user_text = path.read_text(encoding="utf-8")
        except (FileNotFoundError, IsADirectoryError):
            raise ConfigError("--prices", str(path), "no such file") from None
        raw = _merge(raw, _parse(user_text, str(path)), str(path))
        source = str(path)
    return _build(raw, source)


def _parse(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("--prices", source, f"not valid TOML ({exc})") from None


def _merge(base: dict[str, Any], user: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Overlay `user` on `base`. Unknown sections, prices or fields are errors: a typo must not
    silently leave the packaged price in place."""
    merged = {k: v for k, v in base.items() if k not in ("prices", "assumptions")}
    for key, value in user.items():
        if key not in ("version", "currency", "prices", "assumptions"):
            raise _fail(source, key, value, "unknown section; known: prices, assumptions")
        if key in ("version", "currency"):
            merged[key] = value
    for section, fields in (("prices", _PRICE_FIELDS), ("assumptions", _ASSUMPTION_FIELDS)):
        table = {k: dict(v) for k, v in base.get(section, {}).items()}
        overrides = user.get(section, {})
        if not isinstance(overrides, Mapping):
            raise _fail(source, section, overrides, "must be a table")
        for name, entry in overrides.items():
            if name not in table:
                raise _fail(
                    source, f"{section}.{name}", "...", f"unknown; known: {', '.join(table)}"
                )
            if not isinstance(entry, Mapping):
                raise _fail(source, f"{section}.{name}", entry, "must be a table")
            for fname, fvalue in entry.items():
                if fname not in fields:
                    raise _fail(
                        source, f"{section}.{name}.{fname}", fvalue, f"known: {', '.join(fields)}"
                    )
                if fname == "regional" and isinstance(fvalue, Mapping):
                    fvalue = {**table[name].get("regional", {}), **fvalue}
                table[name][fname] = fvalue
        merged[section] = table
    return merged


def _fail(source: str, key: str, value: object, allowed: str) -> ConfigError:
    return ConfigError(key, value, allowed, source=source)


def _build(raw: Mapping[str, Any], source: str) -> PriceBook:
    prices = raw.get("prices", {})
    assumptions = raw.get("assumptions", {})
    for key in REQUIRED_PRICES:
        if key not in prices:
            raise _fail(source, f"prices.{key}", None, "missing: the cost model needs this rate")
    for key in REQUIRED_ASSUMPTIONS:
        if key not in assumptions:
            raise _fail(source, f"assumptions.{key}", None, "missing")
    book = PriceBook(
        version=str(raw.get("version", "unversioned")),
        currency=str(raw.get("currency", "USD")),
        prices={k: _price(k, v, source) for k, v in prices.items()},
        assumptions={k: _assumption(k, v, source) for k, v in assumptions.items()},
        source=source,
    )
    if book.currency != "USD":
        raise _fail(source, "currency", book.currency, "only USD prices are supported")
    return book


def _amount(value: object, key: str, source: str, *, positive: bool = False) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise _fail(source, key, value, "must be a number")
    amount = Decimal(value)
    if not amount.is_finite() or amount < 0 or (positive and amount == 0):
        raise _fail(source, key, value, "must be a positive number" if positive else "must be >= 0")
    return amount


def _text(entry: Mapping[str, Any], name: str, key: str, source: str, default: str = "") -> str:
    value = entry.get(name, default)
    if not isinstance(value, str):
        raise _fail(source, f"{key}.{name}", value, "must be a string")
    return value


def _price(key: str, entry: Mapping[str, Any], source: str) -> Price:
    where = f"prices.{key}"
    regional_raw = entry.get("regional", {})
    if not isinstance(regional_raw, Mapping):
        raise _fail(source, f"{where}.regional", regional_raw, 'a table of "region" = price')
    status = _text(entry, "status", where, source, "assumption")
    if status not in STATUSES:
        raise _fail(source, f"{where}.status", status, f"one of {', '.join(STATUSES)}")
    checked = _text(entry, "checked", where, source)
    try:
        dt.date.fromisoformat(checked)
    except ValueError:
        raise _fail(source, f"{where}.checked", checked, "a date such as 2026-11-26") from None
    url = _text(entry, "source", where, source)
    if not url.startswith("https://"):
        raise _fail(source, f"{where}.source", url, "the https:// page the price comes from")
    return Price(
        key=key,
        usd=_amount(entry.get("usd"), f"{where}.usd", source),
        per=_amount(entry.get("per", 1), f"{where}.per", source, positive=True),
        unit=_text(entry, "unit", where, source) or "unit",
        source=url,
        checked=checked,
        status=status,
        note=_text(entry, "note", where, source),
        regional={
            str(r): _amount(v, f"{where}.regional.{r}", source) for r, v in regional_raw.items()
        },
    )


def _assumption(key: str, entry: Mapping[str, Any], source: str) -> Assumption:
    where = f"assumptions.{key}"
    return Assumption(
        key=key,
        # a zero-hour month would divide by zero; every other assumption may be 0
        value=_amount(
            entry.get("value"), f"{where}.value", source, positive=key == "hours_per_month"
        ),
        unit=_text(entry, "unit", where, source),
        source=_text(entry, "source", where, source),
        status=_text(entry, "status", where, source, "assumption"),
        note=_text(entry, "note", where, source),
    )
