// Shows the Japanese-era reading (令和8年4月1日) next to every date input of a form.
(function () {
  var ERAS = [["2019-05-01", "令和", 2019], ["1989-01-08", "平成", 1989], ["1926-12-25", "昭和", 1926],
              ["1912-07-30", "大正", 1912], ["1873-01-01", "明治", 1868]];
  function wareki(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    if (!m) return "";
    for (var i = 0; i < ERAS.length; i++) {
      if (iso >= ERAS[i][0]) {
        var y = +m[1] - ERAS[i][2] + 1;
        return ERAS[i][1] + (y === 1 ? "元" : y) + "年" + (+m[2]) + "月" + (+m[3]) + "日";
      }
    }
    return "";
  }
  document.querySelectorAll("input[data-wareki]").forEach(function (input) {
    var out = document.createElement("output");
    out.className = "wareki";
    out.setAttribute("for", input.id);
    out.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", out);
    function update() { out.textContent = wareki(input.value); }
    input.addEventListener("input", update);
    input.addEventListener("change", update);
    update();
  });
})();
