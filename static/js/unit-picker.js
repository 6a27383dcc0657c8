/* A searchable picker for several units (registry.forms.UnitPicker), in place of a long Ctrl-click list.
 *
 * The <select multiple data-unit-picker> stays in the form and is what gets submitted; this script hides it and
 * draws, next to it: the chosen units as tags (each with a remove button), a search box and a list of checkboxes
 * for the units offered. When the form's area changes, the offered units are fetched for the new area
 * (data-options-url?area=<id>); chosen units stay chosen. Keyboard: type to search, ↓ into the list, ↑/↓ between
 * units, Space to tick, Esc back to the search box. No inline script or style (the CSP forbids both). */
(function () {
  "use strict";

  var SHOWN = 50; // at most this many units are listed at once; typing narrows the list

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function normalise(text) {
    // Full-width letters and digits as typed by a Chinese input method match their half-width form.
    return (text || "").replace(/[\uff01-\uff5e]/g, function (ch) {
      return String.fromCharCode(ch.charCodeAt(0) - 0xfee0);
    }).replace(/\s+/g, "").toUpperCase();
  }

  function init(select) {
    var form = select.form;
    var areaName = select.getAttribute("data-area-field") || "area";
    var area = form ? form.elements.namedItem(areaName) : null;
    var optionsUrl = select.getAttribute("data-options-url");
    var id = select.id;

    var picker = el("div", "unit-picker");
    var chosenLabel = el("div", "unit-picker-count small text-body-secondary");
    chosenLabel.id = id + "-count";
    chosenLabel.setAttribute("aria-live", "polite");
    var chosen = el("ul", "unit-picker-chosen list-unstyled");
    chosen.id = id + "-chosen";
    var search = el("input", "form-control unit-picker-search");
    search.type = "search";
    search.id = id + "-search";
    search.placeholder = "输入单位名称或信用代码搜索";
    search.setAttribute("aria-label", "搜索单位（名称或统一社会信用代码）");
    search.setAttribute("aria-controls", id + "-results");
    search.autocomplete = "off";
    var results = el("div", "unit-picker-results");
    results.id = id + "-results";
    results.setAttribute("role", "group");
    results.setAttribute("aria-label", "可选单位");
    var note = el("div", "unit-picker-note small text-body-secondary");
    note.id = id + "-note";

    picker.appendChild(chosenLabel);
    picker.appendChild(chosen);
    picker.appendChild(search);
    picker.appendChild(results);
    picker.appendChild(note);
    select.parentNode.insertBefore(picker, select.nextSibling);
    select.hidden = true;
    select.setAttribute("aria-hidden", "true");
    select.tabIndex = -1;
    // The field's <label> now names the search box.
    var label = document.querySelector('label[for="' + id + '"]');
    if (label) label.htmlFor = search.id;

    function options() {
      return Array.prototype.slice.call(select.options);
    }

    function drawChosen() {
      chosen.textContent = "";
      var picked = options().filter(function (o) { return o.selected; });
      picked.forEach(function (option) {
        var item = el("li", "unit-picker-tag");
        item.setAttribute("data-value", option.value);
        item.appendChild(el("span", "unit-picker-tag-label", option.textContent));
        var remove = el("button", "btn btn-sm btn-link unit-picker-remove", "移除");
        remove.type = "button";
        remove.setAttribute("aria-label", "移除 " + option.textContent);
        remove.addEventListener("click", function () {
          option.selected = false;
          refresh();
          search.focus();
        });
        item.appendChild(remove);
        chosen.appendChild(item);
      });
      chosenLabel.textContent = picked.length ? "已选 " + picked.length + " 个单位：" : "尚未选择单位。";
    }

    function drawResults() {
      var query = normalise(search.value);
      results.textContent = "";
      var matching = options().filter(function (o) {
        return !query || normalise(o.textContent).indexOf(query) !== -1;
      });
      matching.slice(0, SHOWN).forEach(function (option) {
        var row = el("div", "form-check unit-picker-option");
        var box = el("input", "form-check-input");
        box.type = "checkbox";
        box.id = id + "-option-" + option.value;
        box.value = option.value;
        box.checked = option.selected;
        box.addEventListener("change", function () {
          option.selected = box.checked;
          drawChosen();
        });
        var text = el("label", "form-check-label", option.textContent);
        text.htmlFor = box.id;
        row.appendChild(box);
        row.appendChild(text);
        results.appendChild(row);
      });
      if (!options().length) {
        note.textContent = area && !area.value ? "请先选择所在区域。" : "所选区域（含下级）没有在营单位。";
      } else if (!matching.length) {
        note.textContent = "没有符合“" + search.value + "”的单位。";
      } else if (matching.length > SHOWN) {
        note.textContent = "共 " + matching.length + " 个单位，只列出前 " + SHOWN + " 个，请输入关键字缩小范围。";
      } else {
        note.textContent = "共 " + matching.length + " 个单位。";
      }
    }

    function refresh() {
      drawChosen();
      drawResults();
    }

    function boxes() {
      return Array.prototype.slice.call(results.querySelectorAll("input[type=checkbox]"));
    }

    search.addEventListener("input", drawResults);
    search.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        var first = boxes()[0];
        if (first) {
          event.preventDefault();
          first.focus();
        }
      } else if (event.key === "Enter") {
        event.preventDefault(); // Enter in the search box must not submit the form half-filled
        var only = boxes();
        if (only.length === 1) {
          only[0].click();
        }
      }
    });
    results.addEventListener("keydown", function (event) {
      var all = boxes();
      var at = all.indexOf(document.activeElement);
      if (at === -1) return;
      if (event.key === "ArrowDown" && at < all.length - 1) {
        event.preventDefault();
        all[at + 1].focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        (at > 0 ? all[at - 1] : search).focus();
      } else if (event.key === "Escape") {
        event.preventDefault();
        search.focus();
      } else if (event.key === "Enter") {
        event.preventDefault();
        all[at].click();
      }
    });

    function loadArea() {
      if (!optionsUrl || !area) return;
      var keep = options().filter(function (o) { return o.selected; });
      if (!area.value) {
        options().forEach(function (o) { if (!o.selected) select.removeChild(o); });
        refresh();
        return;
      }
      var url = optionsUrl + (optionsUrl.indexOf("?") === -1 ? "?" : "&") + "area=" + encodeURIComponent(area.value);
      picker.setAttribute("aria-busy", "true");
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (data) {
          var kept = {};
          keep.forEach(function (o) { kept[o.value] = o; });
          options().forEach(function (o) { if (!o.selected) select.removeChild(o); });
          data.units.forEach(function (unit) {
            var value = String(unit.id);
            if (kept[value]) return;
            var option = el("option", "", unit.label);
            option.value = value;
            select.appendChild(option);
          });
          refresh();
        })
        .catch(function () {
          note.textContent = "单位列表加载失败，请保存前刷新页面重试。";
        })
        .then(function () {
          picker.removeAttribute("aria-busy");
        });
    }

    if (area) area.addEventListener("change", loadArea);
    refresh();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-unit-picker]"), init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
