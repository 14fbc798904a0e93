// Complaint desk: picking a reply template fills the note (without JS the server uses the
// template's text when the note is left empty).
document.querySelectorAll("select.fb-template").forEach(function (select) {
  select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex];
    var note = select.form.querySelector("textarea[name=note]");
    if (note && option && option.dataset.body && !note.value.trim()) {
      note.value = option.dataset.body;
    }
  });
});
