"""/api/v1/complexes: the commercial complexes (商业综合体) of the regulator's streets — list, register,
read, change (name, street, address, property managers). A street regulator sees and changes only
complexes in their streets; every change is audited by `registry.complexes`."""
from flask import abort
from flask.views import MethodView
from flask_login import current_user

from huishang.services.registry import complexes

from ..api import Blueprint
from ..extensions import csrf, db
from ..handling import commit
from ..schemas.complexes import ComplexCreateSchema, ComplexSchema, ComplexWriteSchema
from ..security import api_gate

blp = Blueprint("complexes", __name__, url_prefix="/api/v1", description="Commercial complexes (商业综合体)")
blp.before_request(api_gate("regulator"))
csrf.exempt(blp)


def _load(complex_id: int):
    cx = complexes.get_complex(complex_id)
    if cx is None or not cx.can_view(current_user):  # out of scope answers like an unknown id
        abort(404, description="商业综合体不存在 (no such complex)")
    return cx


@blp.route("/complexes")
class Complexes(MethodView):
    @blp.response(200, ComplexSchema(many=True))
    def get(self):
        """The complexes in the caller's streets (regulators), by name."""
        return db.session.scalars(complexes.scoped_complexes(current_user)).all()

    @blp.arguments(ComplexCreateSchema)
    @blp.response(201, ComplexSchema)
    def post(self, data):
        """Register a complex in one of the caller's streets; `managers` attaches property accounts."""
        cx = complexes.create_complex(data, user=current_user)
        commit()
        return cx


@blp.route("/complexes/<int:complex_id>")
class ComplexResource(MethodView):
    @blp.response(200, ComplexSchema)
    def get(self, complex_id):
        """One complex with its property managers."""
        return _load(complex_id)

    @blp.arguments(ComplexWriteSchema(partial=True))
    @blp.response(200, ComplexSchema)
    def patch(self, data, complex_id):
        """Change a complex; `managers`, when given, replaces the list of property accounts."""
        cx = _load(complex_id)
        complexes.update_complex(cx, data, user=current_user)
        commit()
        return cx
