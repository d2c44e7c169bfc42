"""Flask extensions, created unbound and initialised by the app factory."""

from flask_babel import Babel
from flask_mail import Mail
from flask_wtf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
mail = Mail()
