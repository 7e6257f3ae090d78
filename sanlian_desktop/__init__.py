"""甘肃省“三社联动”试点项目申报系统 — offline desktop program for the pilot's declarations and reviews."""

__version__ = "0.1.0"
APP_NAME = "三社联动申报系统"
