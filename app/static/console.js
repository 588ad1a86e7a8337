/* 大客户管理台: related registers (customer …) searched as you type (Select2 ajax),
   in forms and in the list's filters (FAB adds a filter's field when it is chosen). */
(function ($) {
    function searchSelects(root) {
        $(root).find("select.console-search-select")
            .not(".select2-hidden-accessible").each(function () {
                var el = $(this);
                el.select2({
                    theme: "bootstrap",
                    width: "100%",
                    allowClear: true,
                    placeholder: el.data("placeholder") || "",
                    ajax: {
                        url: el.data("url"),
                        dataType: "json",
                        delay: 200,
                        data: function (params) { return {q: params.term || ""}; },
                        processResults: function (data) { return {results: data.results}; }
                    }
                });
            });
    }
    $(function () { searchSelects(document); });
    // FAB's own click handler on a.filter has appended the field by the time this runs
    $(document).on("click", "a.filter", function () { searchSelects("#filter_form"); });
    $(document).on("console:filter-added", function () { searchSelects("#filter_form"); });
})(jQuery);
