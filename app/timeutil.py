"""Console time: China Standard Time, stored naive (DESIGN.md §8)."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def now_cn() -> datetime:
    """The current time in China, naive, to the second."""
    return datetime.now(CHINA).replace(tzinfo=None, microsecond=0)


def today_cn() -> date:
    return now_cn().date()


def month_bounds(month: str) -> tuple[datetime, datetime] | None:
    """'2026-03' → [2026-03-01 00:00, 2026-04-01 00:00), or None when malformed."""
    try:
        year, mon = (int(part) for part in month.split("-"))
        if len(month) != 7 or not 1 <= mon <= 12 or not 1900 <= year <= 2100:
            return None
    except (ValueError, AttributeError):
        return None
    start = datetime(year, mon, 1)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1)
    return start, end
