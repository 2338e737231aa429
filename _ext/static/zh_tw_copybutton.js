// Traditional-Chinese (Taiwan) labels for sphinx-copybutton, which ships only
// zh-CN. Loaded after copybutton.js: its top-level `messages` and `locale`
// bindings are shared by classic scripts, and it reads them when it adds the
// buttons (on DOMContentLoaded), so setting them here is enough for the
// tooltips. The SVG <title>s were rendered when copybutton.js loaded; they
// are rewritten once the buttons exist.
(function () {
  if (document.documentElement.lang !== "zh-TW" || typeof messages === "undefined") {
    return;
  }
  messages["zh-TW"] = {
    copy: "複製",
    copy_to_clipboard: "複製到剪貼簿",
    copy_success: "已複製！",
    copy_failure: "複製失敗",
  };
  locale = "zh-TW";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button.copybtn svg title").forEach(function (title) {
      title.textContent = /success|Copied/i.test(title.textContent)
        ? messages["zh-TW"].copy_success
        : messages["zh-TW"].copy_to_clipboard;
    });
  });
})();
