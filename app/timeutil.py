"""Console time: China Standard Time, stored naive (DESIGN.md §8)."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def now_cn() -> datetime:
    """The current time in China, naive, to the second."""
    return datetime.now(CHINA).replace(tzinfo=None, microsecond=0)


def today_cn() -> date:
    return now_cn().date()
