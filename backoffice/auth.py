"""Login (stub)."""

from flask_login import LoginManager

login_manager = LoginManager()


def init_app(app):
    login_manager.init_app(app)

    @login_manager.user_loader
    def load_user(user_id):
        from .models import Staff
        return Staff.get_or_none(Staff.id == int(user_id))
