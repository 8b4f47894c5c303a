"""Pricing: tariffs, exact quotes, the price a reservation keeps, invoices and subsidies."""
