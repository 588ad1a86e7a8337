/* 客户拜访记录表 form: choosing a task (计划明细) sets its customer; the 接待人员 picker
   offers only the chosen customer's contacts, each with their title (职务). */
(function ($) {
  "use strict";
  $(function () {
    var urls = $("#visit-record-urls"), task = $("#visit_plan_item");
    var customer = $("#customer"), met = $("#contacts_met");
    if (!urls.length) { return; }
    var itemBase = String(urls.data("item")).replace(/0$/, "");
    var contactsUrl = String(urls.data("contacts"));

    if (task.data("select2")) { task.select2("destroy").select2({allowClear: true, theme: "bootstrap"}); }
    task.on("change", function () {
      var item = $(this).val();
      if (!item || item === "__None" || !customer.length) { return; }
      $.getJSON(itemBase + item).done(function (data) {
        var id = String(data.result.customer.id);
        if (customer.val() === id) { return; }
        // the customer box searches as you type: it holds only the chosen option
        if (!customer.find("option[value='" + id + "']").length) {
          customer.append(new Option(data.result.customer.name, id, true, true));
        }
        customer.val(id).trigger("change");
      });
    });

    function offerContacts() {
      if (!met.length) { return; }
      var chosen = (met.val() || []).map(String), id = customer.val();
      if (!id) { met.empty().trigger("change"); return; }
      $.getJSON(contactsUrl, {customer: id}).done(function (data) {
        met.empty();
        data.result.forEach(function (c) {
          var keep = chosen.indexOf(String(c.id)) >= 0;
          met.append(new Option(c.label, String(c.id), keep, keep));
        });
        met.trigger("change");
      }).fail(function () { met.empty().trigger("change"); });
    }
    customer.on("change", offerContacts);
    offerContacts();
  });
})(jQuery);
