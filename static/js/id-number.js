/*
 * Fills 出生日期 and 性别 from a resident ID number (GB 11643) as it is typed, on a form that has the three
 * fields (name="id_number", name="birth_date", name="gender"). Only a complete, valid number fills anything:
 * 18 characters, the check character right (ISO 7064 MOD 11-2), a real date in characters 7-14; character 17
 * odd is male, even female. The server checks the same again (members.rules); this only saves typing.
 * The text the form shows after filling comes from its data-id-number-note attribute (the page's language).
 */
(function () {
  "use strict";

  var WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var CHECK_CHARS = "10X98765432";

  // As members.rules normalises: half-width, no blanks, upper case (a pasted "４４０…ｘ" counts too).
  function normalise(value) {
    return String(value || "").normalize("NFKC").replace(/\s+/g, "").toUpperCase();
  }

  function derive(value) {
    var code = normalise(value);
    if (!/^\d{17}[\dX]$/.test(code)) {
      return null;
    }
    var sum = 0;
    for (var i = 0; i < 17; i += 1) {
      sum += Number(code.charAt(i)) * WEIGHTS[i];
    }
    if (CHECK_CHARS.charAt(sum % 11) !== code.charAt(17)) {
      return null;
    }
    var year = Number(code.substr(6, 4));
    var month = Number(code.substr(10, 2));
    var day = Number(code.substr(12, 2));
    var born = new Date(Date.UTC(year, month - 1, day));
    if (born.getUTCFullYear() !== year || born.getUTCMonth() !== month - 1 || born.getUTCDate() !== day) {
      return null;
    }
    return {
      birthDate: code.substr(6, 4) + "-" + code.substr(10, 2) + "-" + code.substr(12, 2),
      gender: Number(code.charAt(16)) % 2 === 1 ? "M" : "F"
    };
  }

  function setValue(field, value) {
    if (field.value !== value) {
      field.value = value;
      field.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  function attach(form) {
    var idNumber = form.querySelector('[name="id_number"]');
    var birthDate = form.querySelector('[name="birth_date"]');
    var gender = form.querySelector('[name="gender"]');
    if (!idNumber || !birthDate || !gender) {
      return;
    }
    var note = document.createElement("div");
    note.className = "form-text text-success";
    note.id = "id-number-derived";
    note.setAttribute("aria-live", "polite");
    idNumber.parentNode.appendChild(note);

    function fill() {
      var derived = derive(idNumber.value);
      if (!derived) {
        note.textContent = "";
        return;
      }
      setValue(birthDate, derived.birthDate);
      setValue(gender, derived.gender);
      note.textContent = form.getAttribute("data-id-number-note") || "";
    }

    idNumber.addEventListener("input", fill);
    idNumber.addEventListener("change", fill);
  }

  function start() {
    var forms = document.querySelectorAll("form[data-id-number-note]");
    for (var i = 0; i < forms.length; i += 1) {
      attach(forms[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
