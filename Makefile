# Set-up is two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export QT_QPA_FONTDIR ?=

.PHONY: run test test-gm lint typecheck pytest bench screenshots bundle bundle-compat deb windows clean system-deps build-deps

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev,bundle]"
	$(PY) -m pip install -q --no-deps "rapidocr-onnxruntime>=1.4,<2"
	touch $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

# Debian packages the release builds need (deb-src line, patchelf, wine64, nsis, a zh_CN locale).
build-deps: system-deps
	@bash scripts/build-deps.sh

run: $(STAMP) system-deps
	$(PY) -m sanlian_desktop.ui

lint: $(STAMP)
	$(VENV)/bin/ruff check sanlian_desktop tests bench scripts

typecheck: $(STAMP)
	$(VENV)/bin/mypy

pytest: $(STAMP) system-deps
	$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

test: lint typecheck pytest

# The sync tests, the five-office journey among them, again with every office's keys in the 国密 suite
# (SM2/SM3/SM4): `pytest --suite=gm` (tests/suites.py); tests that choose their own suite are left out.
test-gm: $(STAMP) system-deps
	$(PY) -m pytest -q -p no:cacheprovider --suite=gm tests/sync $(PYTEST_ARGS)

bench: $(STAMP) system-deps
	$(PY) -m bench

# Every picture of docs/screenshots (README's among them), or of SCREENSHOTS=folder: the main window at 1366×768,
# the wizard, the form and the review dialog on a 1024×728 screen.
SCREENSHOTS ?= docs/screenshots
screenshots: $(STAMP) system-deps
	QT_QPA_PLATFORM=offscreen $(PY) scripts/screenshots.py $(SCREENSHOTS)
	for script in scripts/screens_*.py; do QT_QPA_PLATFORM=offscreen $(PY) $$script $(SCREENSHOTS) || exit 1; done

bundle: $(STAMP) system-deps
	$(VENV)/bin/pyinstaller --noconfirm --clean build.spec

# The shipped Linux bundle: runs on glibc >= 2.28 (统信 UOS 20, 麒麟 V10). Its own CPython (zig cc, glibc 2.28)
# and wheels live in ${SANLIAN_BUILD_CACHE:-~/.cache/sanlian-build}; the first run takes ~10 minutes.
bundle-compat: build-deps
	bash scripts/bundle_compat.sh

# The Windows bundle and installer, built on this Linux machine under Wine (docs/windows-build.md);
# prints the installer's path. `bash scripts/test_windows_installer.sh` installs and smoke-tests it.
windows: build-deps
	bash scripts/build_windows.sh

# Run `make bundle` or `make bundle-compat` first (CI does); a .deb of the bundle for 统信 UOS / 麒麟 Kylin and other Debian desktops,
# and (after `make bundle-compat`, which builds dist/ocr-addon/ocr) the OCR add-on's sanlian-desktop-ocr .deb.
deb:
	bash scripts/make_deb.sh

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache
