// The dashboard's chart: utilisation over time from the page's own data (the table beside it
// has the same numbers, so the page says everything without JavaScript).
(function () {
  var data = document.getElementById("utilisation-data");
  var canvas = document.getElementById("utilisation-chart");
  if (!data || !canvas || typeof Chart === "undefined") return;
  var chart = JSON.parse(data.textContent);
  new Chart(canvas, {
    data: {
      labels: chart.labels,
      datasets: [
        {type: "line", label: chart.title, data: chart.utilisation, yAxisID: "share", borderColor: "#14476b",
         backgroundColor: "#14476b", tension: 0.2},
        {type: "bar", label: chart.booked_title, data: chart.booked, yAxisID: "hours", backgroundColor: "#8ec3e6"},
        {type: "bar", label: chart.open_title, data: chart.open, yAxisID: "hours", backgroundColor: "#e3e8ec"}
      ]
    },
    options: {
      maintainAspectRatio: false, animation: false,
      scales: {
        share: {type: "linear", position: "left", min: 0, max: 100},
        hours: {type: "linear", position: "right", min: 0, grid: {drawOnChartArea: false}}
      }
    }
  });
})();
