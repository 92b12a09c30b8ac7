// Progressive help only: every page works without this script, and the server checks again.
(function () {
  "use strict";

  // GB 11643: the 18th character of a resident ID number is a check character.
  function residentIdError(value) {
    var v = value.trim().toUpperCase();
    if (!v) return "";
    if (v.length === 15) return "公民身份号码应为18位，不受理15位旧号码";
    if (v.length !== 18) return "公民身份号码应为18位，当前为" + v.length + "位";
    if (!/^\d{17}[\dX]$/.test(v)) return "公民身份号码前17位应为数字，第18位应为数字或字母X";
    var weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    var sum = 0;
    for (var i = 0; i < 17; i++) sum += parseInt(v[i], 10) * weights[i];
    if ("10X98765432"[sum % 11] !== v[17]) return "公民身份号码校验码不正确";
    return "";
  }

  // GB 32100: the unified social credit code's 18th character is a check character.
  function creditCodeError(value) {
    var v = value.trim().toUpperCase();
    if (!v) return "";
    var chars = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    if (v.length !== 18) return "统一社会信用代码应为18位，当前为" + v.length + "位";
    var weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    var sum = 0;
    for (var i = 0; i < 17; i++) {
      var n = chars.indexOf(v[i]);
      if (n < 0) return "统一社会信用代码含有不允许的字符";
      sum += n * weights[i];
    }
    if (chars.indexOf(v[17]) < 0) return "统一社会信用代码含有不允许的字符";
    if (chars[(31 - (sum % 31)) % 31] !== v[17]) return "统一社会信用代码校验码不正确";
    return "";
  }

  function showError(input, message) {
    var field = input.closest(".field");
    var id = input.id + "-error";
    var p = document.getElementById(id);
    if (!message) {
      if (p && p.dataset.client) p.remove();
      if (!document.getElementById(id)) {
        field.classList.remove("field-error");
        input.removeAttribute("aria-invalid");
      }
      return;
    }
    if (!p) {
      p = document.createElement("p");
      p.className = "error"; p.id = id; p.dataset.client = "1";
      input.parentNode.insertBefore(p, input);
    }
    p.textContent = message;
    field.classList.add("field-error");
    input.setAttribute("aria-invalid", "true");
    var described = (input.getAttribute("aria-describedby") || "").split(" ");
    if (described.indexOf(id) < 0) input.setAttribute("aria-describedby", (described.join(" ") + " " + id).trim());
  }

  function applicantType(form) {
    var checked = form.querySelector("input[name=applicant_type]:checked");
    return checked ? checked.value : "natural_person";
  }

  function toggle(form) {
    var person = applicantType(form) === "natural_person";
    form.querySelectorAll("[data-when]").forEach(function (block) {
      var show = (block.dataset.when === "natural_person") === person;
      block.hidden = !show;
      block.querySelectorAll("input,select").forEach(function (el) { el.disabled = !show; });
    });
  }

  document.querySelectorAll("form[data-check=application]").forEach(function (form) {
    form.querySelectorAll("input[name=applicant_type]").forEach(function (r) {
      r.addEventListener("change", function () { toggle(form); });
    });
    toggle(form);
    var id = form.querySelector("#id_number"), kind = form.querySelector("#id_document_type");
    if (id) id.addEventListener("change", function () {
      showError(id, kind && kind.value !== "resident_id" ? "" : residentIdError(id.value));
    });
    var code = form.querySelector("#credit_code");
    if (code) code.addEventListener("change", function () { showError(code, creditCodeError(code.value)); });
  });

  // The identity document: checked here for size and kind, again by intake from its content.
  document.querySelectorAll("input[type=file][name=id_document]").forEach(function (input) {
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      var message = "";
      if (file && file.size > 5 * 1024 * 1024) message = "证件材料不得超过5MB";
      else if (file && ["image/jpeg", "image/png", "application/pdf"].indexOf(file.type) < 0)
        message = "证件材料须为JPG、PNG格式的图片或PDF文件";
      showError(input, message);
    });
  });

  // One submission per click: the server's idempotency key covers back-and-submit too.
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[data-once]");
      if (button) {
        setTimeout(function () { button.disabled = true; button.textContent = "正在提交…"; }, 0);
      }
    });
  });

  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });

  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
