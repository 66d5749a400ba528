/*
 * Parley admin: reorder the strategy lists of the chat parameter card.
 *
 * Each list is an <ol data-strategy-list> of <li data-strategy-row> rows with a
 * hidden input named "<prefix>-<n>-position". Rows are moved by dragging with
 * the mouse, a pen or a finger (pointer events), or with the ▲/▼ buttons from the
 * keyboard; after every move each row's index is written into its hidden input,
 * which the server reads when the card is saved. No dependencies.
 */
(function () {
  "use strict";

  function rowsOf(list) {
    return Array.prototype.slice.call(list.querySelectorAll("[data-strategy-row]"));
  }

  function renumber(list) {
    rowsOf(list).forEach(function (row, index) {
      var input = row.querySelector('input[name$="-position"]');
      if (input) {
        input.value = String(index);
      }
      var label = row.querySelector("[data-strategy-index]");
      if (label) {
        label.textContent = String(index + 1);
      }
    });
  }

  function moveBy(list, row, step) {
    var rows = rowsOf(list);
    var target = rows.indexOf(row) + step;
    if (target < 0 || target >= rows.length) {
      return;
    }
    if (step < 0) {
      list.insertBefore(row, rows[target]);
    } else {
      list.insertBefore(row, rows[target].nextElementSibling);
    }
    renumber(list);
  }

  function setup(list) {
    var dragging = null;
    var pointerId = null;

    list.addEventListener("pointerdown", function (event) {
      if (event.button !== 0 || event.target.closest("button, input, a")) {
        return;
      }
      var row = event.target.closest("[data-strategy-row]");
      if (!row || !list.contains(row)) {
        return;
      }
      event.preventDefault();
      dragging = row;
      pointerId = event.pointerId;
      if (list.setPointerCapture) {
        list.setPointerCapture(pointerId);
      }
      row.classList.add("is-dragging");
      list.classList.add("is-dragging");
    });

    list.addEventListener("pointermove", function (event) {
      if (!dragging || event.pointerId !== pointerId) {
        return;
      }
      event.preventDefault();
      var y = event.clientY;
      var before = null;
      var others = rowsOf(list).filter(function (row) {
        return row !== dragging;
      });
      for (var i = 0; i < others.length; i += 1) {
        var box = others[i].getBoundingClientRect();
        if (y < box.top + box.height / 2) {
          before = others[i];
          break;
        }
      }
      if (before) {
        if (dragging.nextElementSibling !== before) {
          list.insertBefore(dragging, before);
          renumber(list);
        }
      } else if (list.lastElementChild !== dragging) {
        list.appendChild(dragging);
        renumber(list);
      }
    });

    function finish(event) {
      if (!dragging || event.pointerId !== pointerId) {
        return;
      }
      if (list.releasePointerCapture && list.hasPointerCapture && list.hasPointerCapture(pointerId)) {
        list.releasePointerCapture(pointerId);
      }
      dragging.classList.remove("is-dragging");
      list.classList.remove("is-dragging");
      dragging = null;
      pointerId = null;
      renumber(list);
    }

    list.addEventListener("pointerup", finish);
    list.addEventListener("pointercancel", finish);

    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-move]");
      if (!button || !list.contains(button)) {
        return;
      }
      event.preventDefault();
      moveBy(list, button.closest("[data-strategy-row]"), parseInt(button.getAttribute("data-move"), 10));
      button.focus();
    });

    renumber(list);
  }

  function init() {
    var lists = document.querySelectorAll("[data-strategy-list].is-sortable");
    Array.prototype.forEach.call(lists, setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
