"""Sign-in, sign-out and accepting an invitation (setting the first password)."""

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from .forms import InvitationPasswordForm, LoginForm
from .invitations import invitation_tokens


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    template_name = "accounts/logged_out.html"


class AcceptInvitationView(auth_views.PasswordResetConfirmView):
    """An invitation is a single-use link that expires (PASSWORD_RESET_TIMEOUT, 72 h).

    The token is bound to the password hash, the last login and the invitation
    nonce, so the link stops working once used or once a newer invitation is sent.
    """

    token_generator = invitation_tokens

    template_name = "accounts/accept_invitation.html"
    form_class = InvitationPasswordForm
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("network:home")
