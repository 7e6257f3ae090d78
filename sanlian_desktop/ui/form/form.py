"""The 申报表 as a widget: every field grouped as on paper, live validation, read-only mode.

Above the fields (outside their scroll area, so they stay in view): the latest opinion of each level,
and the banner of problems from the last save or submit, kept up to date as the clerk types; a click on
one of its lines leads to the field.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QCompleter,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from sanlian_desktop.declarations import batches, listing
from sanlian_desktop.declarations import fields as declfields
from sanlian_desktop.kernel.errors import FieldError
from sanlian_desktop.kernel.vocab import (
    CERTIFICATE_LEVELS,
    FOCUS_AREAS,
    FUNDING_SOURCES,
    SERVICE_METHODS,
    TARGET_GROUPS,
)
from sanlian_desktop.offices.auth import Actor
from sanlian_desktop.store.engine import Store
from sanlian_desktop.ui.form.attachments import AttachmentPanel
from sanlian_desktop.ui.form.fields import CheckGroup, DateField, FundingList, MoneyEdit, count_edit, text_box
from sanlian_desktop.ui.form.opinions import OpinionsHeader, ProblemBanner

VALIDATE_DELAY_MS = 300
STYLE = """
QLineEdit[readOnly="true"], QPlainTextEdit[readOnly="true"] { background: #f4f4f4; }
*[invalid="true"] { border: 1px solid #d93025; background: #fff4f3; }
QLabel#fieldError { color: #c5221f; }
QFrame#summary { background: #fdecea; border: 1px solid #f3b8b2; }
QFrame#summary QLabel { color: #c5221f; border: none; }
QFrame#summary QLabel:hover { text-decoration: underline; }
QFrame#summary QLabel#summaryHeading:hover { text-decoration: none; }
"""
_INDEX = re.compile(r"^(.*)\[(\d+)\]$")


class DeclarationForm(QWidget):
    """Edits the content of one declaration; knows nothing of saving (the dialog does that)."""

    edited = Signal()          # any change by the user
    validated = Signal(list)   # FieldErrors of the latest live check

    def __init__(self, store: Store, actor: Actor, parent: QWidget | None = None, *,
                 new: bool = True) -> None:
        super().__init__(parent)
        self.store = store
        self.actor = actor
        # A declaration's community never changes after creation: only a new one lists the jurisdiction's
        # communities (thousands at a city or the province), an existing one shows its own.
        self._new = new
        self.widgets: dict[str, QWidget] = {}
        self.error_labels: dict[str, QLabel] = {}
        self._loading = False
        self._read_only = False
        self._marked: list[QWidget] = []  # not read back via property(): see ui/qtfix.py
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(VALIDATE_DELAY_MS)
        self._timer.timeout.connect(self._live_check)
        # The banner's problems are checked again as the clerk types: as for submitting when it listed a
        # completeness problem; a problem only the service finds (a duplicate title) stays until its
        # field is edited.
        self._strict = False
        self._sticky: list[FieldError] = []
        self._touched: set[str] = set()
        self.setStyleSheet(STYLE)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.opinions = OpinionsHeader(self)
        outer.addWidget(self.opinions)
        self.summary = ProblemBanner(self)
        self.summary.field_chosen.connect(self.focus_field)
        outer.addWidget(self.summary)
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidgetResizable(True)
        outer.addWidget(self.scroll_area)
        body = QWidget()
        self._body = QVBoxLayout(body)
        self.scroll_area.setWidget(body)
        self._build()
        self._body.addStretch(1)
        self._chain_tab_order()

    # -- building ------------------------------------------------------------------------------------

    def _section(self, title: str) -> QFormLayout:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self._body.addWidget(box)
        return form

    def _field(self, form: QFormLayout, path: str, widget: QWidget, label: str | None = None) -> QWidget:
        holder = QWidget()
        col = QVBoxLayout(holder)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(2)
        col.addWidget(widget)
        err = QLabel(holder)
        err.setObjectName("fieldError")
        err.setWordWrap(True)
        err.hide()
        col.addWidget(err)
        form.addRow(label or declfields.label(path), holder)
        self.widgets[path] = widget
        self.error_labels[path] = err
        self._watch(widget, path)
        return widget

    def _watch(self, widget: QWidget, path: str) -> None:
        def changed(*_args: object) -> None:
            self._changed_at(path)

        if isinstance(widget, (QLineEdit, QPlainTextEdit)):
            widget.textChanged.connect(changed)
        elif isinstance(widget, QComboBox):
            widget.currentIndexChanged.connect(changed)
        elif hasattr(widget, "changed"):
            widget.changed.connect(changed)

    def _build(self) -> None:
        tr = self.tr
        f = self._section(tr("申报单位"))
        self.batch = QComboBox()
        with self.store.read_session() as s:
            for b in batches.list_batches(s):
                self.batch.addItem(f"{b.name}（{b.code}）", b.code)
            communities = listing.communities_in(s, self.actor) if self._new else []
        self.batch.insertItem(0, tr("（请选择）"), None)
        self.batch.setCurrentIndex(1 if self.batch.count() > 1 else 0)
        self._field(f, "batch", self.batch)
        self.community = QComboBox()
        self.community.setEditable(True)
        self.community.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.community.addItem(tr("（请选择社区）"), None)
        for code, name, street in communities:
            self.community.addItem(f"{name}（{street}）", code)
        completer = self.community.completer()
        if completer is not None:
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self._field(f, "community", self.community)

        f = self._section(tr("项目名称"))
        self.title_edit = QLineEdit()
        self._field(f, "title", self.title_edit)

        f = self._section(tr("社区概况"))
        self._field(f, "community_profile.text", text_box(90), tr("概况"))
        urban_row = QWidget()
        row = QHBoxLayout(urban_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.urban = QRadioButton(tr("城市社区"))
        self.rural = QRadioButton(tr("农村社区"))
        self.urban_group = QButtonGroup(self)
        for button in (self.urban, self.rural):
            self.urban_group.addButton(button)
            row.addWidget(button)
            button.toggled.connect(lambda _on: self._changed_at("community_profile.urban"))
        row.addStretch(1)
        self._field(f, "community_profile.urban", urban_row, tr("社区类型"))
        for key in declfields.PROFILE_COUNTS:
            self._field(f, f"community_profile.{key}", count_edit())

        f = self._section(tr("项目概况"))
        self._field(f, "needs_analysis", text_box(90))
        self._field(f, "target_groups", CheckGroup(TARGET_GROUPS, 4))
        self._field(f, "focus_areas", CheckGroup(FOCUS_AREAS, 4))
        self._field(f, "service_methods", CheckGroup(SERVICE_METHODS, 4))
        self._field(f, "service_plan", text_box(110))
        self._field(f, "period_start", DateField())
        self._field(f, "period_end", DateField())

        f = self._section(tr("资金需求和来源"))
        self._field(f, "budget_total", MoneyEdit())
        self._field(f, "funding_sources", FundingList(FUNDING_SOURCES))

        f = self._section(tr("申请省级补助资金"))
        self._field(f, "subsidy_requested", MoneyEdit())

        f = self._section(tr("效果预估"))
        self._field(f, "expected_effect.text", text_box(90), tr("预估效果"))
        for key in declfields.EFFECT_COUNTS:
            self._field(f, f"expected_effect.{key}", count_edit())

        f = self._section(tr("承接组织"))
        self._field(f, "undertaker.name", QLineEdit())
        credit = QLineEdit()
        credit.setMaxLength(18)
        credit.setPlaceholderText(tr("18位，如 52620102MJ0000123U"))
        self._field(f, "undertaker.credit_code", credit)
        self._field(f, "undertaker.lead_worker", QLineEdit())
        cert = QComboBox()
        cert.addItem(tr("（请选择）"), None)
        for level in CERTIFICATE_LEVELS:
            cert.addItem(level, level)
        self._field(f, "undertaker.lead_worker_certificate", cert)
        phone = QLineEdit()
        phone.setPlaceholderText(tr("如 0931-8812345 或手机号"))
        self._field(f, "undertaker.phone", phone)

        f = self._section(tr("申报前程序"))
        for key in declfields.PRE_STEP_ORDER:
            self._field(f, f"pre_steps.{key}", DateField())

        box = QGroupBox(tr("附件（会议记录、照片、扫描件）"))
        QVBoxLayout(box).addWidget(attachments := AttachmentPanel(self.store))
        self.attachments = attachments
        self._body.addWidget(box)

    def _focusables(self) -> list[QWidget]:
        out: list[QWidget] = []
        for widget in self.widgets.values():
            if isinstance(widget, CheckGroup):
                out.extend(widget.boxes.values())
            elif isinstance(widget, FundingList):
                for r in widget.rows:
                    out += [r.source, r.amount.edit, r.remove]
                out.append(widget.add_button)
            elif isinstance(widget, MoneyEdit):
                out.append(widget.edit)
            elif widget is self.widgets.get("community_profile.urban"):
                out += [self.urban, self.rural]
            else:
                out.append(widget)
        out.append(self.attachments.add_button)
        return out

    def _chain_tab_order(self) -> None:
        chain = self._focusables()
        for a, b in itertools.pairwise(chain):
            QWidget.setTabOrder(a, b)

    # -- content -------------------------------------------------------------------------------------

    def _get(self, path: str) -> Any:
        w = self.widgets[path]
        if isinstance(w, QLineEdit):
            return w.text().strip() or None
        if isinstance(w, QPlainTextEdit):
            return w.toPlainText().strip() or None
        if isinstance(w, QComboBox):
            return w.currentData()
        if path == "community_profile.urban":
            return True if self.urban.isChecked() else (False if self.rural.isChecked() else None)
        return w.value()  # type: ignore[attr-defined]

    def _set(self, path: str, value: Any) -> None:
        w = self.widgets[path]
        if isinstance(w, QLineEdit):
            w.setText("" if value is None else str(value))
        elif isinstance(w, QPlainTextEdit):
            w.setPlainText(value or "")
        elif isinstance(w, QComboBox):
            idx = w.findData(value) if value is not None else 0
            if idx < 0:
                w.addItem(self._community_text(value) if path == "community" else str(value), value)
                idx = w.count() - 1
            w.setCurrentIndex(idx)
        elif path == "community_profile.urban":
            self.urban_group.setExclusive(False)
            self.urban.setChecked(value is True)
            self.rural.setChecked(value is False)
            self.urban_group.setExclusive(True)
        else:
            w.set_value(value)  # type: ignore[attr-defined]

    def _community_text(self, code: Any) -> str:
        with self.store.read_session() as s:
            return listing.community_label(s, str(code))

    def raw(self) -> dict[str, Any]:
        """The form's content in the shape of ``declaration.example.json`` (not yet normalised)."""
        out: dict[str, Any] = {}
        for path in self.widgets:
            top, _, sub = path.partition(".")
            if sub:
                out.setdefault(top, {})[sub] = self._get(path)
            else:
                out[top] = self._get(path)
        return out

    def load(self, fields: dict[str, Any]) -> None:
        """Fill the form from stored or autosaved content."""
        self._loading = True
        try:
            for path in self.widgets:
                top, _, sub = path.partition(".")
                value = fields.get(top)
                if sub:
                    value = (value or {}).get(sub) if isinstance(value, dict) else None
                self._set(path, value)
        finally:
            self._loading = False
        self._chain_tab_order()
        self.set_read_only(self._read_only)
        self.show_errors([])

    # -- state ---------------------------------------------------------------------------------------

    def set_read_only(self, read_only: bool) -> None:
        """Reviewers see every field but change none."""
        self._read_only = read_only
        for path, w in self.widgets.items():
            if isinstance(w, QLineEdit | QPlainTextEdit):
                w.setReadOnly(read_only)
            elif isinstance(w, QComboBox):
                w.setEnabled(not read_only and (self._new or w is not self.community))
            elif path == "community_profile.urban":
                self.urban.setEnabled(not read_only)
                self.rural.setEnabled(not read_only)
            else:
                w.set_read_only(read_only)  # type: ignore[attr-defined]
        self.attachments.set_read_only(read_only)

    def is_read_only(self) -> bool:
        return self._read_only

    def _changed(self) -> None:
        if self._loading or self._read_only:
            return
        self._timer.start()
        self.edited.emit()

    def _changed_at(self, path: str) -> None:
        if not (self._loading or self._read_only):
            self._touched.add(path)
        self._changed()

    def _live_check(self) -> list[FieldError]:
        """The check run a moment after typing: the marks, and the banner while it is shown."""
        self._timer.stop()
        self._sticky = [e for e in self._sticky if self._label_key(e.field) not in self._touched]
        self._touched.clear()
        live = declfields.normalise(self.raw(), for_submit=self._strict).errors
        errors = live + [e for e in self._sticky if e not in live]
        self.show_errors(errors)
        if not self.summary.isHidden():
            self._set_banner(errors)
        self.validated.emit(errors)
        return errors

    def validate_now(self, *, for_submit: bool = False) -> list[FieldError]:
        """Check the content with the service's rules and mark the offending fields."""
        self._timer.stop()
        errors = declfields.normalise(self.raw(), for_submit=for_submit).errors
        self.show_errors(errors)
        self.validated.emit(errors)
        return errors

    def widget_for(self, path: str) -> QWidget | None:
        """The input a FieldError's path points at (``funding_sources[1]`` is that row's amount)."""
        m = _INDEX.match(path)
        if m and m.group(1) == "funding_sources":
            rows = self.widgets["funding_sources"].rows  # type: ignore[attr-defined]
            i = int(m.group(2))
            return rows[i].amount.edit if i < len(rows) else self.widgets["funding_sources"]
        w = self.widgets.get(path) or self.widgets.get(path.split(".", maxsplit=1)[0])
        if isinstance(w, MoneyEdit):
            return w.edit
        return w

    def _label_key(self, path: str) -> str:
        m = _INDEX.match(path)
        base = m.group(1) if m else path
        return base if base in self.error_labels else base.split(".")[0]

    def is_marked(self, widget: QWidget) -> bool:
        """Whether the widget carries the red “invalid” mark."""
        return any(w is widget for w in self._marked)

    def show_errors(self, errors: list[FieldError]) -> None:
        """Red border and message for each broken rule; everything else cleared."""
        for w in self._marked:
            if not shiboken6.isValid(w):  # a removed funding row
                continue
            w.setProperty("invalid", "false")
            w.style().unpolish(w)
            w.style().polish(w)
        self._marked = []
        messages: dict[str, list[str]] = {}
        for e in errors:
            key = self._label_key(e.field)
            if key not in self.error_labels:
                continue
            messages.setdefault(key, []).append(e.message)
            target = self.widget_for(e.field)
            if target is not None:
                target.setProperty("invalid", "true")
                self._marked.append(target)
                target.style().unpolish(target)
                target.style().polish(target)
        for key, label in self.error_labels.items():
            text = "；".join(dict.fromkeys(messages.get(key, [])))
            label.setText(text)
            label.setVisible(bool(text))

    def show_summary(self, errors: list[FieldError]) -> None:
        """The list of problems at the top (after a refused save or submit); it follows the typing from then
        on and disappears when everything in it is fixed."""
        self._touched.clear()
        if not errors:
            self._strict, self._sticky = False, []
            self.summary.set_errors([])
            return
        raw = self.raw()
        loose = declfields.normalise(raw, for_submit=False).errors
        self._strict = any(e not in loose for e in errors)
        live = declfields.normalise(raw, for_submit=True).errors if self._strict else loose
        self._sticky = [e for e in errors if e not in live]
        self._set_banner(errors)
        self.scroll_area.verticalScrollBar().setValue(0)

    def _set_banner(self, errors: list[FieldError]) -> None:
        self.summary.set_errors(errors)
        if not errors:
            self._strict, self._sticky = False, []

    def focus_field(self, path: str) -> None:
        """Scroll to the input a FieldError's path points at and put the cursor there."""
        target = self.widget_for(path)
        if isinstance(target, CheckGroup):
            target = next(iter(target.boxes.values()), None)
        elif isinstance(target, FundingList):
            target = target.rows[0].amount.edit if target.rows else target.add_button
        elif target is not None and target is self.widgets.get("community_profile.urban"):
            target = self.urban
        if target is None:
            return
        self.scroll_area.ensureWidgetVisible(target)
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_opinions(self, opinions: list[dict[str, Any]]) -> None:
        """The latest opinion of each level above the fields (``lookup.as_dict``'s ``opinions``)."""
        self.opinions.set_opinions(opinions)
