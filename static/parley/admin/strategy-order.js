/*
 * Parley admin: reorder the strategy lists of the chat parameter card.
 *
 * Each list is an <ol data-strategy-list> of <li data-strategy-row> rows with a
 * hidden input named "<prefix>-<n>-position". Rows are moved by dragging with
 * the mouse, a pen or a finger (pointer events), or with the ▲/▼ buttons from the
 * keyboard; after every move each row's index is written into its hidden input,
 * which the server reads when the card is saved; a card sent back with an error shows the rows in the posted
 * order. No dependencies.
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

    restore(list);
    renumber(list);
  }

  // A card sent back with an error (another field refused) carries the positions the administrator had dragged
  // the rows to, while the server draws the rows in the stored order: put them in the posted order first, so
  // a failed save keeps the new order on screen (and in the next save) instead of throwing it away.
  function restore(list) {
    var rows = rowsOf(list);
    var positions = rows.map(function (row, index) {
      var input = row.querySelector('input[name$="-position"]');
      var value = input ? parseInt(input.value, 10) : NaN;
      return { row: row, position: isNaN(value) ? index : value, index: index };
    });
    positions.sort(function (a, b) { return a.position - b.position || a.index - b.index; });
    positions.forEach(function (item) { list.appendChild(item.row); });
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
