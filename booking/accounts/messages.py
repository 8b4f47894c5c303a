"""The wording of the accounts domain's coded messages (its services give codes).

Imported by accounts/services.py, so the codes are registered whenever a service can raise them.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from booking.formatting import register

register({
    "accounts.decision_days_range": _l("Give a whole number of working days from %(low)d to %(high)d."),
    "accounts.email_invalid": _l("Not a valid e-mail address, for example parks@city.example."),
    "accounts.business_id_invalid": _l("Not a valid Finnish business ID. The format is 1234567-1."),
    "accounts.business_id_taken": _l("An organisation with this business ID is already registered."),
    "accounts.organisation_name_taken": _l("An organisation with this name is already registered."),
    "accounts.email_taken": _l("An account with this e-mail address already exists. Log in, or reset your "
                               "password if you have forgotten it."),
    "accounts.registered_just_now": _l("Someone registered the same e-mail address or organisation just now. "
                                       "Check the details and try again."),
    "accounts.wrong_current_password": _l("This is not your current password."),
    "accounts.not_a_member": _l("You are not a member of that organisation."),
    "accounts.no_such_token": _l("There is no such token among yours."),
    "accounts.last_admin": _l("You are the city's only admin: make someone else an admin before you leave."),
    "accounts.email.organisation_orphaned": _l("%(organisation)s has no members left"),
    "accounts.token_scopes": _l("Choose at least one of: %(scopes)s."),
    "accounts.token_scope_too_wide": _l("A token cannot have more than you (or the token you use) may do: %(scopes)s."),
    "accounts.admins_only": _l("Only the city's admins can do this."),
    "accounts.cannot_deactivate_self": _l("You cannot deactivate your own account; ask another admin."),
    "accounts.email.password_reset": _l("Reset your Infrashare password"),
    "accounts.email.password_reset_no_account": _l("No Infrashare account uses this address"),
    "accounts.email.password_reset_deactivated": _l("Your Infrashare account is deactivated"),
    "accounts.email.registration_link": _l("Continue your registration to Infrashare"),
    "accounts.email.account_exists": _l("You already have an Infrashare account"),
    "accounts.registration_link_expired": _l("This registration link has expired. Give your e-mail address "
                                             "again and we will send you a new one."),
    "accounts.registration_link_invalid": _l("This registration link is not valid. Copy the whole link from "
                                             "the e-mail, or give your e-mail address again for a new one."),
    "accounts.registration_link_used": _l("This registration link was already used: the account exists. "
                                          "Log in, or reset your password if you have forgotten it."),
})
