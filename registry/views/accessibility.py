"""/tillganglighet: the accessibility statement (tillgänglighetsredogörelse) that the law on accessibility
of public digital services (lag (2018:1937) om tillgänglighet till digital offentlig service) requires,
in the structure of DIGG's model. Public: linked from every page's footer, logged in or not.

The text is in templates/accessibility/statement.html; who answers for the register, how to reach them
and the date of the last review are settings (ACCESSIBILITY_*, docs/configuration.md)."""

from flask import Blueprint, current_app, render_template

bp = Blueprint("accessibility", __name__)

# DIGG's form for reporting a public body's lack of accessibility (the supervising authority).
DIGG_REPORT_URL = "https://www.digg.se/tdosanmalan"


@bp.get("/tillganglighet")
def statement():
    config = current_app.config
    return render_template(
        "accessibility/statement.html",
        organisation=config["ACCESSIBILITY_ORGANISATION"],
        email=config["ACCESSIBILITY_CONTACT_EMAIL"],
        phone=config.get("ACCESSIBILITY_CONTACT_PHONE"),
        reviewed_on=config["ACCESSIBILITY_REVIEWED_ON"],
        site_url=config["APP_BASE_URL"],
        digg_report_url=DIGG_REPORT_URL,
    )
